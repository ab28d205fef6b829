import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createAccessLog, type AccessLogEntry } from '../../src/telemetry/index.js';

function collectingStream() {
  const lines: string[] = [];
  let buffered = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      buffered += chunk.toString('utf8');
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        lines.push(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
      }
      callback();
    },
  });
  return { stream, lines };
}

const entry: AccessLogEntry = {
  method: 'GET',
  host: 'portal.example.com',
  path: '/cart?id=1',
  status: 200,
  pool: 'portal',
  backend: 'web-1',
  latencyMs: 12.5,
  bytesIn: 0,
  bytesOut: 512,
  clientIp: '127.0.0.1',
  isPinned: true,
  error: '',
};

describe('createAccessLog', () => {
  it('writes one JSON line per request tagged as access, with an ISO time and every entry field', () => {
    const { stream, lines } = collectingStream();
    const log = createAccessLog({ destination: stream });
    log.write(entry);
    log.write({ ...entry, status: 503, backend: '', error: 'EK_NO_HEALTHY_BACKEND' });
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(first).toMatchObject(entry);
    expect(typeof first.time).toBe('string');
    expect(Number.isNaN(Date.parse(first.time as string))).toBe(false);
    expect(first.kind).toBe('access');
    expect(first).not.toHaveProperty('level');
    expect(first).not.toHaveProperty('pid');
    expect(JSON.parse(lines[1])).toMatchObject({ status: 503, backend: '', error: 'EK_NO_HEALTHY_BACKEND' });
  });

  it('writes to a file descriptor and has every line in the file once closed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ek-access-'));
    const file = join(dir, 'access.log');
    const fd = openSync(file, 'w');
    try {
      const log = createAccessLog({ destination: fd });
      for (let i = 0; i < 100; i++) log.write({ ...entry, path: `/item/${i}` });
      await log.close();
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      expect(lines).toHaveLength(100);
      expect(JSON.parse(lines[99])).toMatchObject({ path: '/item/99' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
