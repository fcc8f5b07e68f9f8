import { useEffect, useState } from 'preact/hooks';
import { formatSpan, fromLocalInput, toLocalInput } from '../ui/format';
import {
  attributeText,
  LEVELS,
  parseAttributeText,
  PRESETS,
  resolveRange,
  type Level,
  type Preset,
  type ViewState,
} from '../state/view-state';

interface Draft {
  preset: Preset | 'custom';
  from: string;
  to: string;
  services: string[];
  level: Level | '';
  q: string;
  attributes: string;
  traceId: string;
}

function draftOf(view: ViewState): Draft {
  const { fromMs, toMs } = resolveRange(view.range, Date.now());
  return {
    preset: 'preset' in view.range ? view.range.preset : 'custom',
    from: toLocalInput(fromMs, view.utc),
    to: toLocalInput(toMs, view.utc),
    services: view.services,
    level: view.level,
    q: view.q,
    attributes: attributeText(view.attributes),
    traceId: view.traceId,
  };
}

/** The filters form. Nothing is searched until it is submitted (Enter or the button). */
export function SearchBar(props: {
  view: ViewState;
  services: string[];
  onSearch: (view: ViewState) => void;
}) {
  const { view } = props;
  const [draft, setDraft] = useState<Draft>(() => draftOf(view));
  const [problem, setProblem] = useState('');
  useEffect(() => setDraft(draftOf(view)), [view]);
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));

  function submit(event: Event) {
    event.preventDefault();
    const { attributes, problem: attributeProblem } = parseAttributeText(draft.attributes);
    if (attributeProblem) return setProblem(`Attributes: ${attributeProblem}.`);
    const traceId = draft.traceId.trim().toLowerCase();
    if (traceId && !/^[0-9a-f]{32}$/.test(traceId)) return setProblem('Trace id: 32 hexadecimal characters.');
    const short = draft.q.split(/\s+/).find((word) => word !== '' && [...word].length < 3);
    if (short) return setProblem(`Text: every word needs 3 characters or more ("${short}" is shorter).`);
    let range: ViewState['range'] = { preset: draft.preset as Preset };
    if (draft.preset === 'custom') {
      const fromMs = fromLocalInput(draft.from, view.utc);
      const toMs = fromLocalInput(draft.to, view.utc);
      if (fromMs === null || toMs === null || fromMs >= toMs)
        return setProblem('Time range: "from" must be a date and time before "to".');
      range = { fromMs, toMs };
    }
    setProblem('');
    props.onSearch({
      ...view,
      range,
      services: draft.services,
      level: draft.level,
      q: draft.q.trim(),
      attributes,
      traceId,
    });
  }

  const choices = [...new Set([...props.services, ...draft.services])].sort();
  const toggleService = (name: string, on: boolean) =>
    set({ services: on ? [...draft.services, name] : draft.services.filter((s) => s !== name) });

  return (
    <form class="search" onSubmit={submit} role="search" aria-label="Search logs">
      <div class="field grow">
        <label for="q">Text</label>
        <input
          id="q"
          type="search"
          placeholder="Words in the message (press / to focus)"
          value={draft.q}
          onInput={(e) => set({ q: (e.target as HTMLInputElement).value })}
        />
      </div>
      <div class="field">
        <label for="range">Time range</label>
        <select
          id="range"
          value={draft.preset}
          onChange={(e) => set({ preset: (e.target as HTMLSelectElement).value as Draft['preset'] })}
        >
          {(Object.keys(PRESETS) as Preset[]).map((p) => (
            <option value={p} key={p}>
              Last {formatSpan(PRESETS[p])}
            </option>
          ))}
          <option value="custom">From … to …</option>
        </select>
      </div>
      {draft.preset === 'custom' && (
        <>
          <div class="field">
            <label for="from">From{view.utc ? ' (UTC)' : ''}</label>
            <input
              id="from"
              type="datetime-local"
              value={draft.from}
              onInput={(e) => set({ from: (e.target as HTMLInputElement).value })}
            />
          </div>
          <div class="field">
            <label for="to">To{view.utc ? ' (UTC)' : ''}</label>
            <input
              id="to"
              type="datetime-local"
              value={draft.to}
              onInput={(e) => set({ to: (e.target as HTMLInputElement).value })}
            />
          </div>
        </>
      )}
      <div class="field">
        <span class="label" id="services-label">
          Services
        </span>
        <details class="multi">
          <summary aria-labelledby="services-label services-summary">
            <span id="services-summary">
              {draft.services.length === 0 ? 'All' : draft.services.join(', ')}
            </span>
          </summary>
          <fieldset>
            <legend class="sr-only">Services</legend>
            {choices.length === 0 && <p class="muted">No services stored yet.</p>}
            {choices.map((name) => (
              <label class="check" key={name}>
                <input
                  type="checkbox"
                  name="service"
                  value={name}
                  checked={draft.services.includes(name)}
                  onChange={(e) => toggleService(name, (e.target as HTMLInputElement).checked)}
                />
                {name}
              </label>
            ))}
          </fieldset>
        </details>
      </div>
      <div class="field">
        <label for="level">Minimum level</label>
        <select
          id="level"
          value={draft.level}
          onChange={(e) => set({ level: (e.target as HTMLSelectElement).value as Level | '' })}
        >
          <option value="">Any</option>
          {LEVELS.map((level) => (
            <option value={level} key={level}>
              {level}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="attrs">Attributes</label>
        <input
          id="attrs"
          placeholder="region=eu order.id=42"
          value={draft.attributes}
          onInput={(e) => set({ attributes: (e.target as HTMLInputElement).value })}
        />
      </div>
      <div class="field">
        <label for="trace-id">Trace id</label>
        <input
          id="trace-id"
          placeholder="32 hex characters"
          value={draft.traceId}
          spellcheck={false}
          onInput={(e) => set({ traceId: (e.target as HTMLInputElement).value })}
        />
      </div>
      <div class="field actions">
        <button type="submit">Search</button>
      </div>
      {problem && (
        <p class="error full" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}
