// The answers to the calls the Elasticsearch clients and shippers make besides `_bulk`: the handshake
// (`GET /`), the license and feature probes, the cluster health check, and the setup calls for index
// templates, lifecycle policies and indices. They say what Logpipe is (an Elasticsearch-compatible
// bulk endpoint) and what it keeps: nothing of templates, policies or mappings.

/**
 * The Elasticsearch version Logpipe answers as: the last 8.x minor, which every 8.x client and shipper
 * accepts (Logstash needs >= 7.14 plus the X-Elastic-Product header; Vector reads the major; Beats
 * refuse a version older than their own unless `allow_older_versions: true`).
 */
export const COMPATIBLE_VERSION = '8.19.0';
export const CLUSTER_NAME = 'logpipe';
/** Elastic's product check in clients 7.14+ and Logstash: required on every answer. */
export const PRODUCT_HEADER = { name: 'X-Elastic-Product', value: 'Elasticsearch' } as const;

/** `GET /`: what the clients' version and product checks read. */
export function clusterInfo() {
  return {
    name: CLUSTER_NAME,
    cluster_name: CLUSTER_NAME,
    cluster_uuid: 'logpipe',
    version: {
      number: COMPATIBLE_VERSION,
      // Logstash refuses an `oss` flavour ("Connecting to an OSS distribution ... is no longer supported").
      build_flavor: 'default',
      build_type: 'logpipe',
      build_hash: 'logpipe',
      build_date: '2026-01-01T00:00:00.000Z',
      build_snapshot: false,
      lucene_version: '9.12.2',
      minimum_wire_compatibility_version: '7.17.0',
      minimum_index_compatibility_version: '7.0.0',
    },
    tagline: 'You Know, for Search',
  };
}

/**
 * `GET /_license`. Logstash only connects when the license status is `active`; Logpipe has no license
 * tiers, so it answers as the free `basic` license that never expires.
 */
export function licenseInfo() {
  return {
    license: {
      status: 'active',
      uid: 'logpipe',
      type: 'basic',
      issue_date: '2026-01-01T00:00:00.000Z',
      issue_date_in_millis: Date.UTC(2026, 0, 1),
      max_nodes: 1000,
      max_resource_units: null,
      issued_to: CLUSTER_NAME,
      issuer: 'logpipe',
      start_date_in_millis: -1,
    },
  };
}

/** `GET /_xpack`: no index lifecycle management, so shippers skip their ILM setup. */
export function xpackInfo() {
  return {
    build: { hash: 'logpipe', date: '2026-01-01T00:00:00.000Z' },
    license: { uid: 'logpipe', type: 'basic', mode: 'basic', status: 'active' },
    features: {
      ilm: { available: false, enabled: false },
      security: { available: true, enabled: true },
    },
    tagline: 'for more information, see docs/protocols/elasticsearch.md',
  };
}

/** `GET /_cluster/health` (Vector's healthcheck): answered by a running ingest instance. */
export function clusterHealth() {
  return {
    cluster_name: CLUSTER_NAME,
    status: 'green',
    timed_out: false,
    number_of_nodes: 1,
    number_of_data_nodes: 1,
    active_primary_shards: 0,
    active_shards: 0,
    relocating_shards: 0,
    initializing_shards: 0,
    unassigned_shards: 0,
    delayed_unassigned_shards: 0,
    number_of_pending_tasks: 0,
    number_of_in_flight_fetch: 0,
    task_max_waiting_in_queue_millis: 0,
    active_shards_percent_as_number: 100,
  };
}

/** `PUT` of a template, lifecycle policy or index: accepted, and nothing is kept (Logpipe has no mappings). */
export function acknowledged(extra: Record<string, unknown> = {}) {
  return { acknowledged: true, ...extra };
}

/** `GET/HEAD /{index}`: any index can be written to, and none has mappings or settings. */
export function indexInfo(index: string) {
  return { [index]: { aliases: {}, mappings: {}, settings: {} } };
}

/** `POST /_refresh`, `POST /{index}/_refresh` (pino-elasticsearch's refreshOnCompletion). */
export function refreshed() {
  // Stored entries become visible when the worker commits them; there is nothing to refresh.
  return { _shards: { total: 0, successful: 0, failed: 0 } };
}
