// Times as the console shows them: the browser's zone by default, UTC on request.

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `2026-11-26 10:00:00.123` in the browser's zone, or with a trailing `Z` in UTC. */
export function formatTime(iso: string | number, utc: boolean): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  if (utc) return d.toISOString().replace('T', ' ').replace(/Z$/, 'Z');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

/** Value for an <input type="datetime-local"> showing `ms` in the chosen zone. */
export function toLocalInput(ms: number, utc: boolean): string {
  const d = new Date(ms);
  if (utc) return d.toISOString().slice(0, 16);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Reads an <input type="datetime-local"> value in the chosen zone; null when empty or invalid. */
export function fromLocalInput(value: string, utc: boolean): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return null;
  const ms = utc ? Date.parse(`${value}Z`) : new Date(value).getTime();
  return Number.isFinite(ms) ? ms : null;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** "15 min", "2 h", "3 d": a span in words. */
export function formatSpan(ms: number): string {
  if (ms < 60000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3600000) return `${Math.round(ms / 60000)} min`;
  if (ms < 86400000 * 2) return `${Math.round((ms / 3600000) * 10) / 10} h`;
  return `${Math.round((ms / 86400000) * 10) / 10} d`;
}
