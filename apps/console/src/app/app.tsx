import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, session, setUnauthorizedHandler, type LogEntry } from './api/api-client';
import { ApiError } from './api/api-error';
import { HistogramChart } from './histogram/histogram-chart';
import type { Histogram } from './histogram/histogram-geometry';
import { ContextDialog } from './results/context-dialog';
import { ResultsList } from './results/results-list';
import { SearchBar } from './search/search-bar';
import { SignIn } from './signin/sign-in';
import { apiFilters, encodeView, type ViewState } from './state/view-state';
import { useView } from './state/use-view';
import { LiveTail, type TailStatus } from './tail/live-tail';
import { TraceView } from './trace/trace-view';
import { formatCount } from './ui/format';
import { applyTheme, initialTheme, type Theme } from './ui/theme';

const PAGE_SIZE = 200;
/** Entries kept in the list while tailing; older ones fall off the end (they stay searchable). */
const MAX_TAILED_ROWS = 10000;

function messageOf(failure: unknown): string | null {
  if (failure instanceof DOMException && failure.name === 'AbortError') return null;
  return failure instanceof ApiError ? failure.message : `Something went wrong: ${String(failure)}`;
}

export function App() {
  const [signedIn, setSignedIn] = useState(() => session.key() !== null);
  const [signInNotice, setSignInNotice] = useState('');
  const [theme, setTheme] = useState<Theme>(initialTheme);
  useEffect(() => applyTheme(theme, false), []);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setSignInNotice('Your API key was not accepted (it may have been revoked). Sign in again.');
      setSignedIn(false);
    });
  }, []);

  if (!signedIn) return <SignIn notice={signInNotice} onSignedIn={() => setSignedIn(true)} />;
  return (
    <Console
      theme={theme}
      onTheme={(next) => {
        setTheme(next);
        applyTheme(next, true);
      }}
      onSignOut={() => {
        session.signOut();
        setSignInNotice('Signed out.');
        setSignedIn(false);
      }}
    />
  );
}

function Console(props: { theme: Theme; onTheme: (theme: Theme) => void; onSignOut: () => void }) {
  const [view, setView] = useView();
  // null until the server has answered (the empty state differs for a tenant with nothing stored).
  const [services, setServices] = useState<string[] | null>(null);
  const [entries, setEntries] = useState<LogEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState('');
  const [histogram, setHistogram] = useState<Histogram | null>(null);
  const [histogramError, setHistogramError] = useState('');
  const [expanded, setExpanded] = useState<string | null>(null);
  const [contextOf, setContextOf] = useState<LogEntry | null>(null);
  const [nonce, setNonce] = useState(0);
  const [online, setOnline] = useState(navigator.onLine);
  const [tailStatus, setTailStatus] = useState<TailStatus | null>(null);
  const [tailNotice, setTailNotice] = useState('');
  const [paused, setPaused] = useState(false);
  // Arrivals while paused wait here (newest first); only their count is state, for the status line.
  const pending = useRef<LogEntry[]>([]);
  const [pendingCount, setPendingCount] = useState(0);
  const pausedRef = useRef(false);
  const searchAt = useRef(Date.now());
  const filtersKey = encodeView({ ...view, tail: false, utc: false, trace: '' });

  useEffect(() => {
    const controller = new AbortController();
    api
      .services(controller.signal)
      .then(setServices)
      .catch(() => undefined);
    const up = () => setOnline(true);
    const down = () => setOnline(false);
    addEventListener('online', up);
    addEventListener('offline', down);
    return () => {
      controller.abort();
      removeEventListener('online', up);
      removeEventListener('offline', down);
    };
  }, []);

  // A search: the first page and the histogram, side by side; the list shows as soon as its page is in.
  useEffect(() => {
    if (view.trace) return;
    const controller = new AbortController();
    const now = Date.now();
    searchAt.current = now;
    const filters = apiFilters(view, now);
    setLoading(true);
    setError('');
    setExpanded(null);
    const page = new URLSearchParams(filters);
    page.set('limit', String(PAGE_SIZE));
    api
      .search(page, controller.signal)
      .then((result) => {
        setEntries(result.entries);
        setCursor(result.next_cursor);
        setLoading(false);
      })
      .catch((failure) => {
        const message = messageOf(failure);
        if (message !== null) {
          setEntries([]);
          setCursor(null);
          setError(message);
          setLoading(false);
        }
      });
    setHistogramError('');
    api
      .histogram(filters, controller.signal)
      .then(setHistogram)
      .catch((failure) => {
        const message = messageOf(failure);
        if (message !== null) {
          setHistogram(null);
          setHistogramError(message);
        }
      });
    return () => controller.abort();
  }, [filtersKey, nonce, view.trace === '']);

  const loadMore = useCallback(() => {
    if (!cursor || loadingMore) return;
    setLoadingMore(true);
    const params = apiFilters(view, searchAt.current);
    params.set('limit', String(PAGE_SIZE));
    params.set('cursor', cursor);
    api
      .search(params)
      .then((result) => {
        setEntries((current) => [...current, ...result.entries]);
        setCursor(result.next_cursor);
      })
      .catch((failure) => setError(messageOf(failure) ?? ''))
      .finally(() => setLoadingMore(false));
  }, [cursor, loadingMore, filtersKey]);

  // The live tail, while switched on: new matching entries go on top (or wait while paused).
  useEffect(() => {
    if (!view.tail || view.trace) {
      setTailStatus(null);
      return;
    }
    const tail = new LiveTail(apiFilters(view, Date.now(), false), {
      entry: (entry) => {
        if (pausedRef.current) {
          pending.current = [entry, ...pending.current].slice(0, MAX_TAILED_ROWS);
          setPendingCount((n) => n + 1);
        } else setEntries((list) => [entry, ...list].slice(0, MAX_TAILED_ROWS));
      },
      status: setTailStatus,
      notice: setTailNotice,
    });
    tail.start();
    return () => tail.stop();
  }, [view.tail, filtersKey, view.trace === '']);

  const setPause = (on: boolean) => {
    pausedRef.current = on;
    setPaused(on);
    if (!on) {
      const arrived = pending.current;
      pending.current = [];
      setPendingCount(0);
      if (arrived.length) setEntries((current) => [...arrived, ...current].slice(0, MAX_TAILED_ROWS));
    }
  };

  // `/` focuses the search text, Esc closes what is open (the dialog closes itself).
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || target.isContentEditable;
      if (event.key === '/' && !typing) {
        event.preventDefault();
        (document.getElementById('q') as HTMLInputElement | null)?.focus();
      } else if (event.key === 'Escape' && !contextOf) {
        if (view.trace) setView({ ...view, trace: '' });
        else if (expanded) setExpanded(null);
        else if (typing) target.blur();
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [expanded, contextOf, view]);

  const search = (next: ViewState) => {
    setNonce((n) => n + 1);
    setPause(false);
    setView({ ...next, trace: '' });
  };

  return (
    <div class="console">
      <header class="top">
        <h1 class="brand">
          <a href="/" onClick={(e) => (e.preventDefault(), setView({ ...view, trace: '' }))}>
            Logpipe
          </a>
        </h1>
        <div class="top-actions">
          <button
            type="button"
            aria-pressed={view.utc}
            onClick={() => setView({ ...view, utc: !view.utc }, true)}
          >
            {view.utc ? 'UTC' : 'Local time'}
          </button>
          <button
            type="button"
            aria-label={`Switch to ${props.theme === 'dark' ? 'light' : 'dark'} theme`}
            onClick={() => props.onTheme(props.theme === 'dark' ? 'light' : 'dark')}
          >
            {props.theme === 'dark' ? 'Light' : 'Dark'}
          </button>
          <button type="button" onClick={props.onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      {!online && (
        <p class="banner error" role="alert">
          You are offline. Results will load again when the connection is back.
        </p>
      )}
      {view.trace ? (
        <TraceView traceId={view.trace} utc={view.utc} onClose={() => setView({ ...view, trace: '' })} />
      ) : (
        <main class="main">
          <SearchBar view={view} services={services ?? []} onSearch={search} />
          {histogram && !histogramError && (
            <HistogramChart
              histogram={histogram}
              utc={view.utc}
              onZoom={(range) => search({ ...view, range })}
            />
          )}
          {histogramError && (
            <p class="error" role="alert">
              Histogram: {histogramError}
            </p>
          )}
          <div class="toolbar">
            <span role="status" data-testid="results-status">
              {loading
                ? 'Searching…'
                : `${formatCount(entries.length)} shown${cursor ? ', more on scroll' : ''}`}
            </span>
            <span class="tail-controls">
              <label class="check">
                <input
                  type="checkbox"
                  checked={view.tail}
                  onChange={(e) => {
                    setPause(false);
                    setView({ ...view, tail: (e.target as HTMLInputElement).checked });
                  }}
                />
                Live tail
              </label>
              {view.tail && (
                <>
                  <span class={`tail-state ${tailStatus?.state ?? ''}`} data-testid="tail-state">
                    {tailStatus?.state === 'live'
                      ? 'Live'
                      : tailStatus?.state === 'reconnecting'
                        ? `Reconnecting in ${tailStatus.inSeconds} s (${tailStatus.reason})`
                        : 'Connecting…'}
                  </span>
                  <button type="button" onClick={() => setPause(!paused)} aria-pressed={paused}>
                    {paused ? 'Resume' : 'Pause'}
                  </button>
                  {paused && (
                    <span data-testid="paused-count" role="status">
                      {formatCount(pendingCount)} new while paused
                    </span>
                  )}
                </>
              )}
            </span>
          </div>
          {tailNotice && (
            <p class="notice" role="status">
              {tailNotice}{' '}
              <button type="button" onClick={() => setTailNotice('')}>
                Dismiss
              </button>
            </p>
          )}
          {error && (
            <p class="error" role="alert" data-testid="error">
              {error}
            </p>
          )}
          {!loading && !error && entries.length === 0 && (
            <div class="empty" data-testid="empty">
              {services?.length === 0 ? (
                <p>
                  Nothing is stored for your tenant yet. Send a first entry with <code>POST /api/logs</code>{' '}
                  (see <a href="/docs">the API docs</a>), then search again.
                </p>
              ) : (
                <p>
                  No entries match. Widen the time range, remove a filter, or switch on the live tail to wait
                  for new ones.
                </p>
              )}
            </div>
          )}
          {entries.length > 0 && (
            <ResultsList
              entries={entries}
              expanded={expanded}
              utc={view.utc}
              hasMore={cursor !== null}
              loadingMore={loadingMore}
              onToggle={(id) => setExpanded(expanded === id ? null : id)}
              onLoadMore={loadMore}
              onContext={setContextOf}
              onTrace={(trace) => setView({ ...view, trace })}
            />
          )}
        </main>
      )}
      {contextOf && <ContextDialog entry={contextOf} utc={view.utc} onClose={() => setContextOf(null)} />}
    </div>
  );
}
