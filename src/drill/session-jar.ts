import { getSetCookies, Headers } from 'undici';

// One simulated user's cookies, so that a load balancer's sticky cookie pins each session as it
// would pin a browser. Set-Cookie parsing is undici's (RFC 6265); a jar here only needs names,
// values and expiry, since every request of a drill goes to one origin and one path.

interface StoredCookie {
  readonly value: string;
  /** Epoch ms after which the cookie is gone; Infinity for a session cookie. */
  readonly expiresAtMs: number;
}

export class SessionJar {
  private readonly cookies = new Map<string, StoredCookie>();

  /** Keeps what a response's Set-Cookie header(s) set, and forgets what they delete or expire. */
  store(setCookie: string | readonly string[] | undefined, nowMs = Date.now()): void {
    if (setCookie === undefined) return;
    const headers = new Headers();
    for (const line of typeof setCookie === 'string' ? [setCookie] : setCookie) headers.append('set-cookie', line);
    for (const cookie of getSetCookies(headers)) {
      const expiresAtMs =
        cookie.maxAge !== undefined ? nowMs + cookie.maxAge * 1000 : cookie.expires !== undefined ? new Date(cookie.expires).getTime() : Infinity;
      if (expiresAtMs <= nowMs) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, { value: cookie.value, expiresAtMs });
    }
  }

  /** The Cookie request header for now, or undefined when the jar holds nothing live. */
  cookieHeader(nowMs = Date.now()): string | undefined {
    if (this.cookies.size === 0) return undefined;
    let header = '';
    for (const [name, cookie] of this.cookies) {
      if (cookie.expiresAtMs <= nowMs) {
        this.cookies.delete(name);
        continue;
      }
      header += `${header === '' ? '' : '; '}${name}=${cookie.value}`;
    }
    return header === '' ? undefined : header;
  }

  /** The value of one cookie, for tests and reports. */
  get(name: string): string | undefined {
    return this.cookies.get(name)?.value;
  }

  /** The user logs out or a new user takes this session's place. */
  clear(): void {
    this.cookies.clear();
  }
}
