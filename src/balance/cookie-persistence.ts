import { isPickable, type BackendState, type PoolMembers } from './backend.js';
import { isWithinBound, pickFreshWithinBound, totalSelectableWeight } from './bounded-load.js';
import type { PickOutcome, PickRequest, Picker } from './picker.js';
import { findCookieEnd, findCookieStart } from './request-key.js';
import { SessionCookieSigner } from './session-cookie.js';

// Cookie persistence (`persistence.by: cookie`), stateless like HAProxy's `cookie ... insert`: the
// backend is named in a signed cookie (session-cookie.ts) that evenkeel sets, so every node of a fleet
// honours it without sharing a table. A cookie is honoured only while its backend is selectable (healthy
// or panicking, not draining), has capacity, is not the backend a retry moves away from, and is within
// the load bound (bounded-load.ts); otherwise the request spills to a fresh pick and the cookie is
// replaced. Malformed, forged, expired or unknown-backend cookies are treated as no cookie at all.
//
// The cookie is re-issued when its backend changes and, for a sliding TTL, once it is past half its
// lifetime, so an active session never expires and an idle one does after `ttl`.

export interface CookiePersistenceOptions {
  cookieName: string;
  ttlMs: number;
  boundFactor: number;
  secret: string;
  now: () => number;
}

/** Wraps the pool's picker with signed-cookie session persistence. */
export class CookiePersistencePicker implements Picker {
  private readonly members: PoolMembers;
  private readonly base: Picker;
  private readonly options: CookiePersistenceOptions;
  private readonly signer: SessionCookieSigner;
  private readonly ttlSeconds: number;
  private builtVersion = -1;
  private builtBackends: BackendState[] | undefined;
  private backendsById = new Map<string, BackendState>();
  private totalWeight = 0;

  constructor(members: PoolMembers, base: Picker, options: CookiePersistenceOptions) {
    this.members = members;
    this.base = base;
    this.options = options;
    this.ttlSeconds = Math.max(1, Math.floor(options.ttlMs / 1000));
    this.signer = new SessionCookieSigner(options.secret, members.name, options.cookieName, `; Path=/; HttpOnly; SameSite=Lax; Max-Age=${this.ttlSeconds}`);
  }

  pick(request: PickRequest, outcome: PickOutcome, exclude: BackendState | undefined): BackendState | undefined {
    const members = this.members;
    if (members.version !== this.builtVersion || members.backends !== this.builtBackends) this.rebuild();
    const nowMs = this.options.now();
    const pinned = this.readPinnedBackend(request, nowMs);
    if (pinned !== undefined) {
      if (isPickable(members, pinned, exclude) && isWithinBound(members, pinned, this.totalWeight, this.options.boundFactor)) {
        outcome.isPinned = true;
        if (this.signer.verifiedExpiresUnixSec * 1000 - nowMs < (this.ttlSeconds * 1000) / 2) {
          outcome.setCookie = this.setCookie(pinned, nowMs);
        }
        return pinned;
      }
      outcome.isSpilled = true;
    }
    const chosen = pickFreshWithinBound(this.base, request, outcome, exclude, members, this.totalWeight, this.options.boundFactor);
    if (chosen !== undefined) outcome.setCookie = this.setCookie(chosen, nowMs);
    return chosen;
  }

  /** The backend named by a genuine, unexpired cookie for a current member, or undefined. */
  private readPinnedBackend(request: PickRequest, nowMs: number): BackendState | undefined {
    const header = request.headers.cookie;
    if (header === undefined) return undefined;
    const start = findCookieStart(header, this.options.cookieName);
    if (start < 0) return undefined;
    const backendId = this.signer.verify(header.slice(start, findCookieEnd(header, start)), nowMs);
    return backendId === undefined ? undefined : this.backendsById.get(backendId);
  }

  private setCookie(backend: BackendState, nowMs: number): string {
    const expiresUnixSec = Math.floor(nowMs / 1000) + this.ttlSeconds;
    return this.signer.setCookieHeader(backend.id, expiresUnixSec);
  }

  private rebuild(): void {
    const members = this.members;
    this.backendsById = new Map();
    for (const backend of members.backends) this.backendsById.set(backend.id, backend);
    this.totalWeight = totalSelectableWeight(members);
    this.builtVersion = members.version;
    this.builtBackends = members.backends;
  }
}
