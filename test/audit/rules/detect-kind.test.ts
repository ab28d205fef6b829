import { describe, expect, it } from 'vitest';
import { detectConfigKind } from '../../../src/audit/index.js';

describe('detecting the kind of a config', () => {
  it('recognises an evenkeel YAML by its pools mapping', () => {
    expect(detectConfigKind('lb.yaml', 'listen: { http: "0.0.0.0:8080" }\npools:\n  web:\n    backends: []\n')).toBe('evenkeel');
  });

  it('recognises NGINX by its blocks, even in a file with another name', () => {
    expect(detectConfigKind('site.txt', 'upstream app {\n  server 10.0.0.1;\n}\n')).toBe('nginx');
    expect(detectConfigKind('nginx.conf', 'events {}\nhttp {\n  include conf.d/*.conf;\n}\n')).toBe('nginx');
    expect(detectConfigKind('conf.d/app.conf', 'proxy_read_timeout 30s;\n')).toBe('nginx');
  });

  it('recognises HAProxy by its sections, anonymous ACL braces included', () => {
    expect(detectConfigKind('lb.cfg', 'global\n  maxconn 100\ndefaults\n  mode http\nbackend app\n  http-request deny if { path_beg /admin }\n  server a 10.0.0.1:80 check\n')).toBe('haproxy');
    expect(detectConfigKind('haproxy.cfg', '# empty\n')).toBe('haproxy');
  });

  it('leaves the choice to --kind when nothing is clear', () => {
    expect(detectConfigKind('notes.txt', 'hello\n')).toBeUndefined();
  });
});
