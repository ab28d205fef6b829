// Whether an address an admin interface listens on is reachable only from this host. Unix sockets
// (a path, "unix:", "unix@", "abns@") are local; "*", "0.0.0.0", "::", a bare port or any other
// host name is reachable from the network.

/** True for 127.0.0.0/8, ::1, localhost and local sockets; the port and any "ipv4@"-style prefix are ignored. */
export function isLoopbackAddress(address: string): boolean {
  const text = address.trim();
  if (text.startsWith('/') || /^(unix|abns|fd|sockpair)[:@]/i.test(text)) return true;
  const withoutPrefix = text.replace(/^(ipv4|ipv6|tcp|tcp4|tcp6)@/i, '');
  const host = hostOf(withoutPrefix).toLowerCase();
  // HAProxy writes IPv6 with the port after the last colon ("::1:9999"); NGINX brackets it ("[::1]:80").
  const withoutPort = host.includes(':') ? host.replace(/:\d+$/, '') : host;
  return isLoopbackHost(host) || isLoopbackHost(withoutPort);
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '0:0:0:0:0:0:0:1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function hostOf(address: string): string {
  const bracketed = /^\[([^\]]*)\]/.exec(address);
  if (bracketed !== null) return bracketed[1] ?? '';
  if (/^\d+$/.test(address)) return '';
  const colons = address.split(':').length - 1;
  if (colons === 1) return address.slice(0, address.indexOf(':'));
  return address; // a bare IPv6 address or a host without port
}
