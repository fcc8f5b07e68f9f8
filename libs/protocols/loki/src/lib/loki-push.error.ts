/** Problems listed in one answer; a request with more says how many were left out. */
export const MAX_REPORTED_PROBLEMS = 10;

/**
 * A push that is refused as a whole (Loki is all or nothing): 400 for a body or stream that is wrong,
 * 413 for a body that decompresses past the limit, 415 for a content type that is neither format.
 * The message is Loki-style text, one problem a line, each naming its stream.
 */
export class LokiPushError extends Error {
  override readonly name = 'LokiPushError';

  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }

  static ofProblems(problems: readonly string[]): LokiPushError {
    return new LokiPushError(400, joinProblems(problems));
  }
}

/** One problem a line, at most MAX_REPORTED_PROBLEMS of them. */
export function joinProblems(problems: readonly string[]): string {
  const shown = problems.slice(0, MAX_REPORTED_PROBLEMS);
  const left = problems.length - shown.length;
  return left > 0 ? `${shown.join('\n')}\n(and ${left} more problems)` : shown.join('\n');
}

/** Quotes a stream name for a message, cut short so a huge label string cannot bloat the answer. */
export function streamRef(name: string, maxLength = 200): string {
  return `'${name.length > maxLength ? `${name.slice(0, maxLength)}…` : name}'`;
}
