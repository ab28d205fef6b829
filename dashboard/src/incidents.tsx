import type { WhoAmI } from './types';

export function IncidentsPage(_props: { me?: WhoAmI; selected?: string }) {
  return <p>Coming soon.</p>;
}
