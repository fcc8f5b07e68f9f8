// The view as app state, kept in the URL: a change pushes a history entry (Back goes to the previous
// search); Back/Forward restore the view they point at.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { decodeView, encodeView, type ViewState } from './view-state';

export function useView(): [ViewState, (next: ViewState, replace?: boolean) => void] {
  const [view, setView] = useState<ViewState>(() => decodeView(location.search));

  useEffect(() => {
    const onPop = () => setView(decodeView(location.search));
    addEventListener('popstate', onPop);
    // Write the normalised form back, so the address bar shows the whole view from the first load.
    history.replaceState(null, '', `?${encodeView(decodeView(location.search))}`);
    return () => removeEventListener('popstate', onPop);
  }, []);

  const update = useCallback((next: ViewState, replace = false) => {
    const url = `?${encodeView(next)}`;
    if (url !== location.search) {
      if (replace) history.replaceState(null, '', url);
      else history.pushState(null, '', url);
    }
    setView(next);
  }, []);

  return [view, update];
}
