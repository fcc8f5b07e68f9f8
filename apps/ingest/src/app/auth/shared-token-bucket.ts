import type { StreamProducer } from '@logpipe/stream-client';
import type { BucketAnswer } from './token-bucket';

/**
 * One tenant's token bucket in ONE hash (tokens, last refill in ms), read, refilled, taken from and
 * written back atomically inside Redis, so every ingest instance draws from the same bucket. The clock
 * is Redis' own (TIME), so instances whose clocks disagree still refill it at the same rate. A refused
 * take writes nothing. The hash expires once it would be full again: an idle tenant leaves no key, and a
 * missing key is a full bucket. One key per call, so it runs unchanged on Redis Cluster (the tenant is
 * the key's hash tag). The `#!lua` shebang makes Redis refuse it up front when out of memory.
 * KEYS[1] the bucket; ARGV rate per second, burst, entries wanted. Returns {1 admitted | 0 refused,
 * tokens left as a string (a Lua number reply would be truncated to an integer)}.
 * tools/bench/quota.mjs reads this script from here to measure it against rate-limiter-flexible.
 */
export const SHARED_TOKEN_BUCKET_SCRIPT = `#!lua
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate / 1000)
  at = now
end
if tokens < wanted then
  return {0, tostring(tokens)}
end
tokens = tokens - wanted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1000)
return {1, tostring(tokens)}`;

/**
 * The Redis key of a tenant's bucket, under the stream's key: deployments (and tests) that share one
 * Redis under different STREAM_KEYs keep separate quotas. The tenant is the hash tag.
 */
export function quotaKey(streamKey: string, tenant: string): string {
  return `${streamKey}:quota:{${tenant}}`;
}

const TAKE_TOKENS_SCRIPT = { name: 'logpipeTakeTokens', lua: SHARED_TOKEN_BUCKET_SCRIPT };

/**
 * The tenants' shared buckets, on the stream producer's connection (its auto-pipelining included). The
 * script is defined when the bucket is made, at start-up, never on the first take (see defineScript).
 */
export class SharedTokenBucket {
  constructor(
    private readonly producer: Pick<StreamProducer, 'isReady' | 'defineScript' | 'runScript'>,
    private readonly streamKey: string,
    readonly rate: number,
    readonly burst: number,
  ) {
    producer.defineScript(TAKE_TOKENS_SCRIPT);
  }

  /** false while the connection is down: the caller falls back without waiting for a reconnect. */
  get isAvailable(): boolean {
    return this.producer.isReady;
  }

  /** Rejects (StreamUnavailableError) when Redis does not answer; the bucket is then unchanged or taken from. */
  async take(tenant: string, wanted: number): Promise<BucketAnswer> {
    const [admitted, tokens] = (await this.producer.runScript(
      TAKE_TOKENS_SCRIPT.name,
      quotaKey(this.streamKey, tenant),
      [this.rate, this.burst, wanted],
    )) as [number, string];
    return { admitted: admitted === 1, tokens: Number(tokens) };
  }
}
