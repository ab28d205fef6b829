import { describe, expect, it } from 'vitest';
import { isLoopbackAddress } from '../../../src/audit/readers/listen-address.js';

describe('isLoopbackAddress', () => {
  it('counts 127.0.0.0/8, ::1, localhost and local sockets as loopback, in NGINX and HAProxy spellings', () => {
    const loopback = ['127.0.0.1:8080', '127.1.2.3', 'localhost:80', '[::1]:80', '::1', '::1:9999', 'ipv4@127.0.0.1:9999', 'ipv6@::1:9999', '/run/haproxy/admin.sock', 'unix:/var/run/nginx.sock', 'unix@/run/x.sock', 'abns@stats'];
    expect(loopback.filter((address) => !isLoopbackAddress(address))).toEqual([]);
  });

  it('counts wildcards, bare ports, other hosts and other IPv6 addresses as reachable from the network', () => {
    const exposed = ['0.0.0.0:8080', '*:80', '80', ':8404', '[::]:80', ':::80', 'ipv4@0.0.0.0:9999', '10.0.0.5:8404', 'lb.example.com:80', '2001:db8::1:80', '128.0.0.1:80'];
    expect(exposed.filter((address) => isLoopbackAddress(address))).toEqual([]);
  });
});
