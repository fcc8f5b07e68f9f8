/** An error as Elasticsearch reports it: a machine-readable `type` and a human `reason`. */
export interface ElasticsearchErrorCause {
  readonly type: string;
  readonly reason: string;
}

/**
 * A bulk body that cannot be read as action/source pairs: Elasticsearch refuses the whole request
 * (400) and queues nothing, and so does Logpipe. `reason` names the offending line (1-based).
 */
export class BulkRequestError extends Error {
  readonly status = 400;

  constructor(
    readonly type: string,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'BulkRequestError';
  }
}
