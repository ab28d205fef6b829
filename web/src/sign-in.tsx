import { useState } from 'preact/hooks';
import { api, describeError } from './api';
import { storeToken } from './session';
import type { WhoAmI } from './types';

/** Sign-in with an admin API token; what the user may do then follows the token's role. */
export function SignIn({ notice, onSignedIn }: { notice?: string; onSignedIn: (me: WhoAmI) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [isBusy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const trimmed = token.trim();
    if (trimmed === '') {
      setError('Paste a token first.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const me = await api<WhoAmI>('/api/v1/whoami', { token: trimmed });
      storeToken(trimmed);
      onSignedIn(me);
    } catch (caught) {
      setError(describeError(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>evenkeel</h1>
      <p>Sign in with an admin API token. A viewer token shows everything; approving, applying and drills need a role that allows them.</p>
      {notice !== undefined && <p class="notice">{notice}</p>}
      <form onSubmit={submit}>
        <label for="token">Token</label>
        <input id="token" name="token" type="password" autocomplete="off" spellcheck={false} value={token} onInput={(event) => setToken((event.target as HTMLInputElement).value)} required />
        <button type="submit" disabled={isBusy}>
          {isBusy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {error !== undefined && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p class="hint">
        Create one with <code>evenkeel token create NAME --role viewer</code>; on the first start the node prints an admin token. The token is kept in this tab's session storage only.
      </p>
    </main>
  );
}
