import { useEffect, useState } from 'preact/hooks';
import { api, statsStreamUrl } from './api';
import type { LiveStats } from './types';

// The stats stream (GET /api/v1/stats/stream, one sample a second) kept as a short history, so the
// charts show the last minutes. EventSource reconnects by itself (the server asks for 2 s).

/** Samples kept: five minutes at one a second. */
export const HISTORY_SAMPLES = 300;

export type StreamState = 'connecting' | 'live' | 'reconnecting';

export function useLiveStats(): { history: LiveStats[]; state: StreamState } {
  const [history, setHistory] = useState<LiveStats[]>([]);
  const [state, setState] = useState<StreamState>('connecting');
  useEffect(() => {
    const source = new EventSource(statsStreamUrl());
    source.onopen = () => setState('live');
    source.onerror = () => {
      setState('reconnecting');
      // A refused stream (401: the token was revoked) is not retried by EventSource; asking who we
      // are answers 401 too, and that returns the app to sign-in.
      if (source.readyState === EventSource.CLOSED) void api('/api/v1/whoami').catch(() => undefined);
    };
    source.onmessage = (event: MessageEvent<string>) => {
      const sample = JSON.parse(event.data) as LiveStats;
      setState('live');
      setHistory((previous) => {
        const next = previous.length >= HISTORY_SAMPLES ? previous.slice(previous.length - HISTORY_SAMPLES + 1) : previous.slice();
        next.push(sample);
        return next;
      });
    };
    return () => source.close();
  }, []);
  return { history, state };
}
