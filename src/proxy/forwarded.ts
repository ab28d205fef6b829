import { BlockList, isIP } from 'node:net';
import type { IncomingForwarded } from './hop-by-hop.js';
import { ProxyConfigError } from './errors.js';

// X-Forwarded-For / -Proto / -Host. A client can write anything in these headers, so values that
// arrive from a peer we do not trust are replaced, never appended to (otherwise any client could
// spoof its address to backends that rate-limit or log by XFF). Peers in proxy.trusted_proxies (an
// L4 balancer, a CDN) are trusted to have set them correctly, and we append to the chain.

/** The set of trusted peers; `isEmpty` keeps the common case (no trusted proxies) free of lookups. */
export class TrustedProxies {
  readonly isEmpty: boolean;
  private readonly list = new BlockList();

  constructor(entries: readonly string[]) {
    this.isEmpty = entries.length === 0;
    for (const entry of entries) addEntry(this.list, entry);
  }

  /** True when the peer address (as Node reports it) is trusted. */
  has(address: string | undefined): boolean {
    if (this.isEmpty || address === undefined) return false;
    const plain = unmapIpv4(address);
    const family = isIP(plain);
    if (family === 0) return false;
    return this.list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  }

  /**
   * The client address in an X-Forwarded-For chain that reached us through trusted proxies: the
   * rightmost entry that is not itself a trusted proxy (entries left of it could be forged by the
   * client). Falls back to `peer` when the chain holds nothing usable.
   */
  clientOf(forwardedFor: string, peer: string): string {
    const hops = forwardedFor.split(',');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i].trim();
      if (isIP(unmapIpv4(hop)) === 0) return peer;
      if (!this.has(hop)) return unmapIpv4(hop);
    }
    const first = hops[0].trim();
    return isIP(unmapIpv4(first)) === 0 ? peer : unmapIpv4(first);
  }
}

function addEntry(list: BlockList, entry: string): void {
  const slash = entry.indexOf('/');
  const address = unmapIpv4(slash === -1 ? entry.trim() : entry.slice(0, slash).trim());
  const family = isIP(address);
  if (family === 0) throw new ProxyConfigError('EK_PROXY_TRUSTED_INVALID', `trusted_proxies entry ${JSON.stringify(entry)} is not an IP address or CIDR such as "10.0.0.0/8"`);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (slash === -1) list.addAddress(address, type);
  else {
    const prefix = Number(entry.slice(slash + 1));
    const max = family === 4 ? 32 : 128;
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) {
      throw new ProxyConfigError('EK_PROXY_TRUSTED_INVALID', `trusted_proxies entry ${JSON.stringify(entry)} has a prefix length outside 0-${max}`);
    }
    list.addSubnet(address, prefix, type);
  }
}

/** "::ffff:10.0.0.1" (an IPv4 peer on a dual-stack socket) → "10.0.0.1". */
export function unmapIpv4(address: string): string {
  return address.length > 7 && address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Appends the X-Forwarded-* headers for one request to the upstream header list. */
export function appendForwarded(out: string[], seen: IncomingForwarded, peer: string, proto: string, isTrusted: boolean): void {
  if (isTrusted) {
    out.push('x-forwarded-for', seen.forwardedFor === undefined ? peer : `${seen.forwardedFor}, ${peer}`);
    out.push('x-forwarded-proto', seen.forwardedProto ?? proto);
    const host = seen.forwardedHost ?? seen.host;
    if (host !== undefined) out.push('x-forwarded-host', host);
  } else {
    out.push('x-forwarded-for', peer);
    out.push('x-forwarded-proto', proto);
    if (seen.host !== undefined) out.push('x-forwarded-host', seen.host);
  }
}
