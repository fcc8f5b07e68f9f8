import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type LogEntry } from '../api/api-client';
import { ApiError } from '../api/api-error';
import { formatTime } from '../ui/format';

/** "Show context": entries of the same service just before and after one entry. Esc closes it. */
export function ContextDialog(props: { entry: LogEntry; utc: boolean; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [entries, setEntries] = useState<LogEntry[] | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    dialog.current?.showModal();
    const controller = new AbortController();
    api
      .context(props.entry.service, props.entry.timestamp, controller.signal)
      .then(setEntries)
      .catch((failure) => failure instanceof ApiError && setError(failure.message));
    return () => controller.abort();
  }, [props.entry]);

  return (
    <dialog ref={dialog} class="context" onClose={props.onClose} aria-labelledby="context-title">
      <div class="dialog-head">
        <h2 id="context-title">
          Around {formatTime(props.entry.timestamp, props.utc)} in {props.entry.service}
        </h2>
        <button type="button" onClick={() => dialog.current?.close()}>
          Close
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {entries === null && !error && <p class="muted">Loading…</p>}
      {entries && (
        <ol class="context-rows">
          {entries.map((e) => (
            <li key={e.stream_id} class={e.stream_id === props.entry.stream_id ? 'anchor' : ''}>
              <span class="time">{formatTime(e.timestamp, props.utc)}</span>
              <span class={`level level-${e.level}`}>{e.level}</span>
              <span class="message">{e.message}</span>
            </li>
          ))}
        </ol>
      )}
    </dialog>
  );
}
