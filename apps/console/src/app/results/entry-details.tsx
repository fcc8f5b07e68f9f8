import { useState } from 'preact/hooks';
import type { LogEntry } from '../api/api-client';
import { formatTime } from '../ui/format';
import { AttributeTree } from './attribute-tree';

/** An expanded row: every field, the attributes as a tree, and what one can do from here. */
export function EntryDetails(props: {
  entry: LogEntry;
  utc: boolean;
  onContext: (entry: LogEntry) => void;
  onTrace: (traceId: string) => void;
}) {
  const { entry } = props;
  const [copied, setCopied] = useState('');
  async function copy() {
    try {
      await navigator.clipboard.writeText(JSON.stringify(entry, null, 2));
      setCopied('Copied as JSON.');
    } catch {
      setCopied('The browser refused the clipboard; select the text instead.');
    }
  }
  return (
    <div class="details">
      <dl>
        <dt>Time</dt>
        <dd>{formatTime(entry.timestamp, props.utc)}</dd>
        <dt>Received</dt>
        <dd>{formatTime(entry.received_at, props.utc)}</dd>
        <dt>Service</dt>
        <dd>{entry.service}</dd>
        <dt>Message</dt>
        <dd class="message-full">{entry.message}</dd>
        {entry.trace_id && (
          <>
            <dt>Trace</dt>
            <dd>
              <code>{entry.trace_id}</code>
              {entry.span_id && <span class="muted"> span {entry.span_id}</span>}
            </dd>
          </>
        )}
        {entry.id && (
          <>
            <dt>Event id</dt>
            <dd>
              <code>{entry.id}</code>
            </dd>
          </>
        )}
        <dt>Attributes</dt>
        <dd>
          {entry.attributes ? <AttributeTree value={entry.attributes} /> : <span class="muted">none</span>}
        </dd>
      </dl>
      <div class="details-actions">
        <button type="button" onClick={copy}>
          Copy as JSON
        </button>
        <button type="button" onClick={() => props.onContext(entry)}>
          Show context
        </button>
        {entry.trace_id && (
          <button type="button" onClick={() => props.onTrace(entry.trace_id as string)}>
            Open trace
          </button>
        )}
        <span role="status" class="muted">
          {copied}
        </span>
      </div>
    </div>
  );
}
