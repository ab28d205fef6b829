import { request, type Dispatcher } from 'undici';

/** Sticky sessions as a test drives them: started, then stopped; stop resolves to the requests sent. */
export interface StickySessions {
  stop(): Promise<number>;
}

/**
 * `count` sessions that each keep the cookie the proxy sets (as a browser would) and send GET
 * `${proxyUrl}/account` one after another until stopped, at most `maxRequestsPerSession` each.
 */
export function startStickySessions(proxyUrl: string, dispatcher: Dispatcher, count: number, maxRequestsPerSession: number): StickySessions {
  let isStopping = false;
  const loops = Array.from({ length: count }, async () => {
    let cookie: string | undefined;
    let sent = 0;
    for (; sent < maxRequestsPerSession && !isStopping; sent++) {
      const response = await request(`${proxyUrl}/account`, { dispatcher, headers: cookie === undefined ? {} : { cookie } });
      await response.body.dump();
      const setCookie = response.headers['set-cookie'];
      const first = Array.isArray(setCookie) ? setCookie[0] : setCookie;
      if (first !== undefined) cookie = first.split(';')[0];
    }
    return sent;
  });
  return {
    stop: async () => {
      isStopping = true;
      return (await Promise.all(loops)).reduce((a, b) => a + b, 0);
    },
  };
}
