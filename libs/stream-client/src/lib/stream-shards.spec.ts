import {
  CLUSTER_NODES_PATTERN,
  parseClusterNodes,
  resolveStreamClientOptions,
} from './stream-client.options';
import calculateSlot from 'cluster-key-slot';
import { shardKey, shardTag, StreamLayout } from './stream-shards';

const layout = (shardCount: number, clusterNodes: string[] = []) =>
  new StreamLayout(resolveStreamClientOptions({ redisUrl: 'redis://x', shardCount, clusterNodes }));

describe('StreamLayout', () => {
  it("keeps today's keys and ids for one shard on a single Redis, so an upgrade drains what is queued", () => {
    const plain = layout(1);
    expect(plain.tagged).toBe(false);
    expect(plain.shards).toEqual([
      {
        index: 0,
        streamKey: 'logs:stream',
        deadLetterStreamKey: 'logs:dead',
        entriesKey: 'logs:stream:entries',
        appendedKey: 'logs:stream:appended',
      },
    ]);
    expect(plain.qualify(plain.shards[0], '1700000000000-0')).toBe('1700000000000-0');
    expect(plain.locate('1700000000000-0')).toEqual({ shard: plain.shards[0], id: '1700000000000-0' });
  });

  it('hash-tags each shard so its stream and dead letters share one slot, spread over the slot range', () => {
    for (const count of [2, 3, 4, 6]) {
      const sharded = layout(count);
      sharded.shards.forEach((shard, index) => {
        expect(shard.streamKey).toMatch(new RegExp(`^logs:\\{s${index}(\\.\\d+)?\\}:stream$`));
        const slot = calculateSlot(shard.streamKey);
        expect(calculateSlot(shard.deadLetterStreamKey)).toBe(slot);
        // The index-th count-th of the 16384 slots: one shard per master of an evenly split cluster.
        expect(slot).toBeGreaterThanOrEqual(Math.floor((index * 16384) / count));
        expect(slot).toBeLessThan(Math.floor(((index + 1) * 16384) / count));
      });
    }
    expect(shardTag(0, 1)).toBe('s0');
    expect(shardKey('plain', 's4')).toBe('{s4}:plain');
  });

  it('hash-tags even one shard on a cluster, where logs:stream and logs:dead sit in different slots', () => {
    const cluster = layout(1, ['127.0.0.1:7000']);
    expect(cluster.tagged).toBe(true);
    expect(cluster.shards[0].streamKey).toBe('logs:{s0}:stream');
  });

  it('qualifies ids by shard and routes them back, refusing ids of no shard', () => {
    const sharded = layout(2);
    const id = sharded.qualify(sharded.shards[1], '5-1');
    expect(id).toBe('s1:5-1');
    expect(sharded.locate(id)).toEqual({ shard: sharded.shards[1], id: '5-1' });
    expect(sharded.locate('s2:5-1')).toBeNull();
    expect(sharded.locate('5-1')).toBeNull();
    expect([...sharded.groupByShard(['s0:1-0', 's1:2-0', 's0:3-0'])]).toEqual([
      [sharded.shards[0], ['1-0', '3-0']],
      [sharded.shards[1], ['2-0']],
    ]);
    expect(() => sharded.groupByShard(['nope'])).toThrow(/nope/);
  });

  it('describes itself for the layout record', () => {
    expect(layout(1).description).toBe('shards=1;keys=plain');
    expect(layout(4).description).toBe('shards=4;keys=tagged');
  });

  it('refuses base keys with a hash tag of their own when sharded', () => {
    expect(
      () =>
        new StreamLayout(
          resolveStreamClientOptions({ redisUrl: 'redis://x', shardCount: 2, streamKey: '{x}:s' }),
        ),
    ).toThrow(/streamKey must not contain/);
  });
});

describe('parseClusterNodes', () => {
  it('reads comma-separated host:port seeds and names the setting on a bad one', () => {
    expect(parseClusterNodes(' 10.0.0.1:7000, redis-b:7001 ,')).toEqual(['10.0.0.1:7000', 'redis-b:7001']);
    expect(parseClusterNodes(undefined)).toEqual([]);
    expect(() => parseClusterNodes('10.0.0.1')).toThrow(
      /REDIS_CLUSTER_NODES must be comma-separated host:port/,
    );
  });
});

describe('CLUSTER_NODES_PATTERN', () => {
  it('accepts what parseClusterNodes reads and nothing else', () => {
    for (const good of ['', '10.0.0.1:7000', ' a:1, b-2.example:7001 ,', '[::1]:7000'])
      expect(CLUSTER_NODES_PATTERN.test(good)).toBe(true);
    for (const bad of ['10.0.0.1', 'a:1;b:2', 'redis://a:1'])
      expect(CLUSTER_NODES_PATTERN.test(bad)).toBe(false);
  });
});
