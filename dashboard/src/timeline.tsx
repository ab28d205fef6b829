import type { WhoAmI } from './types';

export function TimelinePage(_props: { me?: WhoAmI; selected?: string }) {
  return <p>Coming soon.</p>;
}
