// Public API of @logpipe/protocol-elasticsearch: decode a bulk request, map its documents onto the log
// entry, encode the bulk answer and Elasticsearch's error shape. No Nest, no I/O.
export { BulkRequestError, type ElasticsearchErrorCause } from './lib/bulk-errors';
export { decodeBulkRequest, type BulkItem, type DecodedBulkRequest } from './lib/bulk-request';
export { encodeBulkResponse, type BulkResponse } from './lib/bulk-response';
export { bulkContentTypeProblem } from './lib/content-type';
export { encodeErrorBody, type ElasticsearchErrorBody } from './lib/error-body';
export {
  COMPATIBLE_VERSION,
  PRODUCT_HEADER,
  acknowledged,
  clusterHealth,
  clusterInfo,
  indexInfo,
  licenseInfo,
  refreshed,
  xpackInfo,
} from './lib/cluster-answers';
