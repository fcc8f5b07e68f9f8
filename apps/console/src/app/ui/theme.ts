// Light or dark: the system's choice until the user picks one (kept in localStorage; it is a preference,
// not part of a shared view).
const STORAGE = 'logpipe.theme';
export type Theme = 'light' | 'dark';

export function initialTheme(): Theme {
  const saved = localStorage.getItem(STORAGE);
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function applyTheme(theme: Theme, save: boolean): void {
  document.documentElement.dataset['theme'] = theme;
  if (save) localStorage.setItem(STORAGE, theme);
}
