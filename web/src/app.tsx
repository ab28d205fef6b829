import { useEffect, useRef, useState } from 'preact/hooks';
import { api, describeError, onSignedOut } from './api';
import { ChangesPage } from './changes';
import { IncidentsPage } from './incidents';
import { OverviewPage } from './overview';
import { PAGES, useRoute } from './router';
import { forgetToken, storedToken } from './session';
import { SignIn } from './sign-in';
import { TimelinePage } from './timeline';
import type { WhoAmI } from './types';

type SessionState = { kind: 'checking' } | { kind: 'signed-out'; notice?: string } | { kind: 'signed-in'; me: WhoAmI };

export function App() {
  const [session, setSession] = useState<SessionState>(() => (storedToken() === undefined ? { kind: 'signed-out' } : { kind: 'checking' }));
  const route = useRoute();

  useEffect(() => onSignedOut((reason) => setSession({ kind: 'signed-out', notice: `Signed out: ${reason}` })), []);
  useEffect(() => {
    if (session.kind !== 'checking') return;
    api<WhoAmI>('/api/v1/whoami').then(
      (me) => setSession({ kind: 'signed-in', me }),
      (error: unknown) => setSession({ kind: 'signed-out', notice: describeError(error) }),
    );
  }, [session.kind]);
  // After moving to another page, focus its content so that a keyboard or screen reader user starts
  // there rather than on the link they left (not on the first load: the browser starts at the top).
  const lastPage = useRef(route.page);
  useEffect(() => {
    if (lastPage.current === route.page) return;
    lastPage.current = route.page;
    document.getElementById('main')?.focus();
  }, [route.page]);
  useEffect(() => {
    const title = PAGES.find((entry) => entry.page === route.page)?.title ?? 'Overview';
    document.title = session.kind === 'signed-in' ? `${title} · evenkeel` : 'Sign in · evenkeel';
  }, [route.page, session.kind]);

  if (session.kind === 'checking') return <p class="loading">Checking the saved token…</p>;
  if (session.kind === 'signed-out') return <SignIn notice={session.notice} onSignedIn={(me) => setSession({ kind: 'signed-in', me })} />;
  const { me } = session;
  const signOut = () => {
    forgetToken();
    setSession({ kind: 'signed-out', notice: 'Signed out.' });
  };
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">evenkeel</span>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map((entry) => (
              <li key={entry.page}>
                <a href={`#/${entry.page}`} aria-current={route.page === entry.page ? 'page' : undefined}>
                  {entry.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who" data-testid="whoami">
          {me.name} <span class="role">({me.role})</span>
        </span>
        <button type="button" class="secondary" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === 'overview' && <OverviewPage />}
        {route.page === 'changes' && <ChangesPage me={me} selected={route.rest} />}
        {route.page === 'timeline' && <TimelinePage />}
        {route.page === 'incidents' && <IncidentsPage me={me} selected={route.rest} />}
      </main>
    </>
  );
}
