import { useEffect, useState } from 'preact/hooks';
import { api, type LogEntry } from '../api/api-client';
import { ApiError } from '../api/api-error';
import { formatTime } from '../ui/format';

/** Every entry of one trace, across services, on a timeline (oldest first). */
export function TraceView(props: { traceId: string; utc: boolean; onClose: () => void }) {
  const [entries, setEntries] = useState<LogEntry[] | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    const controller = new AbortController();
    setEntries(null);
    setError('');
    api
      .trace(props.traceId, controller.signal)
      .then((page) => setEntries([...page.entries].reverse()))
      .catch((failure) => {
        if (failure instanceof ApiError) setError(failure.message);
      });
    return () => controller.abort();
  }, [props.traceId]);

  const services = [...new Set((entries ?? []).map((e) => e.service))];
  const times = (entries ?? []).map((e) => Date.parse(e.timestamp));
  const start = Math.min(...times);
  const span = Math.max(1, Math.max(...times) - start);

  return (
    <main class="trace" aria-labelledby="trace-title">
      <div class="trace-head">
        <h2 id="trace-title">
          Trace <code>{props.traceId}</code>
        </h2>
        <button type="button" onClick={props.onClose}>
          Back to search (Esc)
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {entries === null && !error && <p class="muted">Loading the trace…</p>}
      {entries?.length === 0 && (
        <p class="empty">
          No entries carry this trace id. Check the id, or the services may not have sent it yet.
        </p>
      )}
      {entries && entries.length > 0 && (
        <>
          <p data-testid="trace-summary">
            {entries.length} entries across {services.length} services over {span} ms:{' '}
            <span class="trace-services">
              {services.map((s, i) => (
                <span key={s} class={`chip service-${i % 8}`} data-testid="trace-service">
                  {s}
                </span>
              ))}
            </span>
          </p>
          <ol class="timeline">
            {entries.map((entry) => {
              const offset = Date.parse(entry.timestamp) - start;
              return (
                <li key={entry.stream_id} class="timeline-row">
                  <span class="time">{formatTime(entry.timestamp, props.utc)}</span>
                  <span class={`chip service-${services.indexOf(entry.service) % 8}`}>{entry.service}</span>
                  <span class={`level level-${entry.level}`}>{entry.level}</span>
                  <span class="timeline-track" aria-hidden="true">
                    <span class="timeline-dot" style={{ left: `${(offset / span) * 100}%` }} />
                  </span>
                  <span class="offset">+{offset} ms</span>
                  <span class="message">{entry.message}</span>
                </li>
              );
            })}
          </ol>
        </>
      )}
    </main>
  );
}
