import { useEffect, useState } from 'preact/hooks';

// Hash routing: the admin listener serves one index.html, and a link to "#/changes/12" works after
// a reload without any server-side routes.

export type Page = 'overview' | 'changes' | 'timeline' | 'incidents';
export const PAGES: readonly { page: Page; title: string }[] = [
  { page: 'overview', title: 'Overview' },
  { page: 'changes', title: 'Changes' },
  { page: 'timeline', title: 'Timeline' },
  { page: 'incidents', title: 'Incidents & drills' },
];

export interface Route {
  page: Page;
  /** What follows the page: "#/changes/12" -> "12". */
  rest: string | undefined;
}

export function parseRoute(hash: string): Route {
  const [, pageName, ...rest] = hash.replace(/^#/, '').split('/');
  const page = PAGES.find((entry) => entry.page === pageName)?.page ?? 'overview';
  return { page, rest: rest.length > 0 && rest[0] !== '' ? rest.join('/') : undefined };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
