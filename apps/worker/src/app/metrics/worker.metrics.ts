import { collectProcessMetrics } from '@logpipe/app-runtime';
import {
  DeadLetters,
  StreamConsumer,
  StreamProducer,
  summedGroupInfo,
  type DeadLetterOutcome,
} from '@logpipe/stream-client';
import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type RetriedOperation = 'postgres' | 'redis';

/**
 * The worker's Prometheus metrics, served on its health port (GET /metrics). The batch processor
 * reports batches, inserts and retries as they happen; the stream's length, pending count and lag are
 * read from Redis when scraped (one XLEN and one XINFO GROUPS per scrape).
 */
@Injectable()
export class WorkerMetrics {
  readonly registry = new Registry();

  private readonly batchSize = new Histogram({
    name: 'logpipe_worker_batch_size',
    help: 'Log entries per processed batch (a chunk counts its entries)',
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
    registers: [this.registry],
  });

  private readonly insertDuration = new Histogram({
    name: 'logpipe_worker_insert_duration_seconds',
    help: 'Duration of one successful batch write to PostgreSQL',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly rowsInserted = new Counter({
    name: 'logpipe_worker_rows_inserted_total',
    help: 'Rows written to the logs table',
    registers: [this.registry],
  });

  private readonly duplicates = new Counter({
    name: 'logpipe_worker_duplicates_skipped_total',
    help: 'Entries not written because their stream id or (tenant, event id) was already stored',
    registers: [this.registry],
  });

  private readonly deadLettered = new Counter({
    name: 'logpipe_worker_dead_lettered_total',
    help: 'Entries moved to the dead-letter stream (undecodable, refused by PostgreSQL, or delivered too often)',
    registers: [this.registry],
  });

  private readonly deadLettersDropped = new Counter({
    name: 'logpipe_worker_dead_letters_dropped_total',
    help: 'Dead letters removed by the dead-letter bound to make room (bound="count": DEAD_LETTER_MAX_ENTRIES, bound="age": DEAD_LETTER_MAX_AGE_HOURS)',
    labelNames: ['bound'],
    registers: [this.registry],
  });

  private readonly retries = new Counter({
    name: 'logpipe_worker_retries_total',
    help: 'Retries of an operation that failed for lack of PostgreSQL or Redis',
    labelNames: ['operation'],
    registers: [this.registry],
  });

  constructor(producer: StreamProducer, consumer: StreamConsumer, deadLetters: DeadLetters) {
    new Gauge({
      name: 'logpipe_dead_letters',
      help: 'Entries in the dead-letter stream (see `logpipe dead list`)',
      registers: [this.registry],
      async collect() {
        this.set(await deadLetters.length().catch(() => Number.NaN));
      },
    });
    // Both bounds appear from the start, so a rate() over them has a zero to start from.
    this.deadLettersDropped.inc({ bound: 'count' }, 0);
    this.deadLettersDropped.inc({ bound: 'age' }, 0);
    // Both gauges ask Redis at scrape time; a scrape while Redis is down leaves them out rather than fail.
    // Totals over the shards keep their names; the *_shard_* gauges break them down (label shard).
    const shardLength = new Gauge({
      name: 'logpipe_stream_shard_length',
      help: 'Entries in each shard of the Redis stream (STREAM_SHARDS)',
      labelNames: ['shard'],
      registers: [this.registry],
    });
    new Gauge({
      name: 'logpipe_stream_length',
      help: 'Entries in the Redis stream, all shards (not yet stored, or stored and not yet trimmed)',
      registers: [this.registry],
      async collect() {
        const backlog = await producer.backlog().catch(() => null);
        this.set(backlog?.total ?? Number.NaN);
        backlog?.shards.forEach((length, shard) => shardLength.set({ shard: String(shard) }, length));
      },
    });
    const shardPending = new Gauge({
      name: 'logpipe_stream_shard_pending',
      help: 'Entries delivered to the consumer group of each shard and not yet acknowledged',
      labelNames: ['shard'],
      registers: [this.registry],
    });
    const shardLag = new Gauge({
      name: 'logpipe_stream_shard_consumer_lag',
      help: 'Entries in each shard not yet delivered to its consumer group',
      labelNames: ['shard'],
      registers: [this.registry],
    });
    const group = {
      pending: new Gauge({
        name: 'logpipe_stream_pending',
        help: 'Entries delivered to the consumer group and not yet acknowledged',
        registers: [this.registry],
      }),
      lag: new Gauge({
        name: 'logpipe_stream_consumer_lag',
        help: 'Entries in the stream not yet delivered to the consumer group',
        registers: [this.registry],
      }),
      consumers: new Gauge({
        name: 'logpipe_stream_consumers',
        help: 'Consumers in the group',
        registers: [this.registry],
      }),
    };
    new Gauge({
      name: 'logpipe_stream_group_info_up',
      help: '1 when the last scrape could read the consumer group from Redis',
      registers: [this.registry],
      async collect() {
        try {
          const shards = await consumer.groupInfoByShard();
          shards.forEach((shard, index) => {
            shardPending.set({ shard: String(index) }, shard.pending);
            shardLag.set({ shard: String(index) }, shard.lag ?? Number.NaN);
          });
          const info = summedGroupInfo(shards);
          group.pending.set(info.pending);
          group.lag.set(info.lag ?? Number.NaN);
          group.consumers.set(info.consumers);
          this.set(1);
        } catch {
          this.set(0);
        }
      },
    });
    collectProcessMetrics(this.registry);
  }

  /** One processed batch: its size and what became of its entries. */
  batchDone(size: number, inserted: number, duplicates: number, deadLettered: number): void {
    this.batchSize.observe(size);
    this.rowsInserted.inc(inserted);
    this.duplicates.inc(duplicates);
    this.deadLettered.inc(deadLettered);
  }

  /** Dead letters the bound removed while this batch's were added. */
  deadLettersDroppedBy(outcome: DeadLetterOutcome): void {
    this.deadLettersDropped.inc({ bound: 'count' }, outcome.droppedByCount);
    this.deadLettersDropped.inc({ bound: 'age' }, outcome.droppedByAge);
  }

  /** Starts timing a batch write; call the result when it succeeded. */
  insertTimer(): () => void {
    return this.insertDuration.startTimer();
  }

  retried(operation: RetriedOperation): void {
    this.retries.inc({ operation });
  }
}
