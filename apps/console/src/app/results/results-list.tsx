import { useEffect, useRef } from 'preact/hooks';
import type { LogEntry } from '../api/api-client';
import { formatTime } from '../ui/format';
import { EntryDetails } from './entry-details';
import { useVirtualizer } from './use-virtualizer';

const ROW_HEIGHT = 30;

/**
 * Newest first, virtualised: only the rows in view (plus a few) are in the DOM, so 10,000 loaded rows
 * scroll as smoothly as 100. Rows are measured after rendering, so an expanded row takes its height.
 * Nearing the end asks for the next page.
 */
export function ResultsList(props: {
  entries: LogEntry[];
  expanded: string | null;
  utc: boolean;
  hasMore: boolean;
  loadingMore: boolean;
  onToggle: (streamId: string) => void;
  onLoadMore: () => void;
  onContext: (entry: LogEntry) => void;
  onTrace: (traceId: string) => void;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const { entries } = props;
  const virtualizer = useVirtualizer({
    count: entries.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (index) => entries[index]?.stream_id ?? index,
  });
  const items = virtualizer.getVirtualItems();
  const last = items[items.length - 1];

  useEffect(() => {
    if (last && last.index >= entries.length - 20 && props.hasMore && !props.loadingMore) props.onLoadMore();
  }, [last?.index, entries.length, props.hasMore, props.loadingMore]);

  return (
    <div class="results" ref={scroller} role="region" aria-label="Results" tabIndex={0}>
      <div style={{ height: `${virtualizer.getTotalSize()}px`, position: 'relative' }}>
        <ol
          class="rows"
          style={{ transform: `translateY(${items[0]?.start ?? 0}px)` }}
          aria-label="Log entries, newest first"
        >
          {items.map((item) => {
            const entry = entries[item.index];
            const open = props.expanded === entry.stream_id;
            return (
              <li
                key={item.key}
                data-index={item.index}
                ref={virtualizer.measureElement}
                class={`row${open ? ' open' : ''}`}
              >
                <button
                  type="button"
                  class="row-line"
                  aria-expanded={open}
                  onClick={() => props.onToggle(entry.stream_id)}
                  data-testid="row"
                >
                  <span class="time">{formatTime(entry.timestamp, props.utc)}</span>
                  <span class={`level level-${entry.level}`}>{entry.level}</span>
                  <span class="service">{entry.service}</span>
                  <span class="message">{entry.message}</span>
                </button>
                {open && (
                  <EntryDetails
                    entry={entry}
                    utc={props.utc}
                    onContext={props.onContext}
                    onTrace={props.onTrace}
                  />
                )}
              </li>
            );
          })}
        </ol>
      </div>
      {props.loadingMore && <p class="muted more">Loading older entries…</p>}
      {!props.hasMore && entries.length > 0 && <p class="muted more">No older entries in this range.</p>}
    </div>
  );
}
