import type { BacklogMonitor } from '../backpressure/backlog.monitor';
import { IngestMetrics } from './ingest.metrics';

describe('IngestMetrics backlog gauges', () => {
  it('names the two units apart: log entries waiting, and stream entries (XLEN, a chunk counting once)', async () => {
    const state = {
      entries: 1200,
      entriesByShard: [1000, 200],
      streamEntries: 3,
      streamEntriesByShard: [2, 1],
      accepting: true,
    };
    const text = await new IngestMetrics({ state } as unknown as BacklogMonitor).registry.metrics();
    expect(text).toMatch(/^logpipe_backlog_entries 1200$/m);
    expect(text).toMatch(/^logpipe_backlog_shard_entries\{shard="1"\} 200$/m);
    expect(text).toMatch(/^logpipe_stream_length 3$/m);
    expect(text).toMatch(/^logpipe_stream_shard_length\{shard="0"\} 2$/m);
  });
});
