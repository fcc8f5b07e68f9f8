import { useState } from 'preact/hooks';
import { api, session } from '../api/api-client';
import { ApiError } from '../api/api-error';

/** The API key prompt. The key is checked against the server, then kept in sessionStorage only. */
export function SignIn(props: { notice: string; onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      await api.verify(key.trim());
      session.signIn(key.trim());
      props.onSignedIn();
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : 'Signing in failed.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="signin">
      <form class="signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Logpipe</h1>
        <p>Sign in with an API key of your tenant. It is kept for this browser tab only.</p>
        {props.notice && (
          <p class="notice" role="status">
            {props.notice}
          </p>
        )}
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autocomplete="current-password"
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          required
          autoFocus
        />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy || key.trim() === ''}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
