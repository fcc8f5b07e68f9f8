// The read API over fetch, with the key from the session. A 401 anywhere signs the user out so the
// prompt comes back; the key is sent only in the Authorization header, never in a URL, never logged.
import { ApiError, errorForNetwork, errorForResponse } from './api-error';
import type { Histogram } from '../histogram/histogram-geometry';
import type { Level } from '../state/view-state';

export interface LogEntry {
  timestamp: string;
  received_at: string;
  level: Level;
  service: string;
  message: string;
  attributes: Record<string, unknown> | null;
  trace_id: string | null;
  span_id: string | null;
  id: string | null;
  stream_id: string;
}

export interface LogPage {
  entries: LogEntry[];
  next_cursor: string | null;
}

const KEY_STORAGE = 'logpipe.apiKey';

/** The key for this browser tab's session only (sessionStorage: gone when the tab closes). */
export const session = {
  key(): string | null {
    return sessionStorage.getItem(KEY_STORAGE);
  },
  signIn(key: string): void {
    sessionStorage.setItem(KEY_STORAGE, key);
  },
  signOut(): void {
    sessionStorage.removeItem(KEY_STORAGE);
  },
};

let onUnauthorized: () => void = () => undefined;

/** Called on every 401 (after the key is dropped): the app shows the sign-in prompt again. */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

export function authHeaders(key: string | null = session.key()): Record<string, string> {
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** Throws ApiError for anything but 2xx; handles 401 globally. */
export async function checkResponse(response: Response): Promise<Response> {
  if (response.ok) return response;
  let message = '';
  try {
    const body = (await response.json()) as { message?: unknown };
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  const error = errorForResponse(response.status, message, response.headers.get('retry-after'));
  if (error.kind === 'unauthorized') {
    session.signOut();
    onUnauthorized();
  }
  throw error;
}

export async function apiFetch(path: string, init: RequestInit = {}, key?: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, {
      ...init,
      headers: { accept: 'application/json', ...authHeaders(key ?? session.key()), ...(init.headers ?? {}) },
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw errorForNetwork(navigator.onLine);
  }
  return checkResponse(response);
}

async function getJson<T>(path: string, params: URLSearchParams | null, signal?: AbortSignal): Promise<T> {
  const query = params && params.toString() ? `?${params}` : '';
  const response = await apiFetch(`${path}${query}`, { signal });
  return (await response.json()) as T;
}

export const api = {
  search: (params: URLSearchParams, signal?: AbortSignal) => getJson<LogPage>('/api/logs', params, signal),
  histogram: (params: URLSearchParams, signal?: AbortSignal) =>
    getJson<Histogram>('/api/logs/histogram', params, signal),
  services: (signal?: AbortSignal) =>
    getJson<{ services: string[] }>('/api/services', null, signal).then((body) => body.services),
  context: (service: string, at: string, signal?: AbortSignal) =>
    getJson<{ entries: LogEntry[] }>(
      '/api/logs/context',
      new URLSearchParams({ service, at, limit: '25' }),
      signal,
    ).then((body) => body.entries),
  trace: (traceId: string, signal?: AbortSignal) =>
    getJson<LogPage>('/api/logs', new URLSearchParams({ trace_id: traceId, limit: '1000' }), signal),
  /** Checks a key before keeping it: 401 means wrong, anything else answered means usable. */
  async verify(key: string): Promise<void> {
    const response = await fetch('/api/services', {
      headers: { accept: 'application/json', ...authHeaders(key) },
    }).catch(() => {
      throw errorForNetwork(navigator.onLine);
    });
    if (response.status === 401) throw new ApiError('unauthorized', 'That API key was not accepted.', 401);
    if (!response.ok) await checkResponse(response);
  },
};
