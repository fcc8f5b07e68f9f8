// Test support of @logpipe/stream-client (import as @logpipe/stream-client/testing): never from production code.
export { PrivateRedisCluster, type ClusterNode } from './lib/testing/private-redis-cluster';
export { PrivateRedisServer, findFreePort } from './lib/testing/private-redis-server';
export { shardTag } from './lib/stream-shards';
