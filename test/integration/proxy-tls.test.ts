import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { Agent, request } from 'undici';
import WebSocket, { WebSocketServer } from 'ws';
import { ProxyServer } from '../../src/proxy/index.js';
import { makeSnapshot, poolConfig, RecordingOutcomes, RecordingTelemetry, startBackend, type Backend } from '../proxy/fixture.js';

let dir: string;
let backend: Backend;
let proxy: ProxyServer;
let port: number;
const seenProto: string[] = [];

function makeCertificate(name: string): { cert: string; key: string } {
  const keyPath = join(dir, `${name}.key`);
  const certPath = join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyPath, '-out', certPath], { stdio: 'ignore' });
  return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
}

/** Installs a pair the way renewal tools do: write aside, then rename over the served files. */
function install(pair: { cert: string; key: string }): void {
  writeFileSync(join(dir, 'next.crt'), pair.cert);
  writeFileSync(join(dir, 'next.key'), pair.key);
  renameSync(join(dir, 'next.crt'), join(dir, 'server.crt'));
  renameSync(join(dir, 'next.key'), join(dir, 'server.key'));
}

function servedCommonName(): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const subject = socket.getPeerCertificate().subject;
      socket.destroy();
      resolve(String(subject.CN));
    });
    socket.on('error', reject);
  });
}

const first = () => makeCertificate('first');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'evenkeel-tls-'));
  install(first());
  backend = await startBackend((req, res) => {
    seenProto.push(String(req.headers['x-forwarded-proto']));
    res.end('over tls');
  });
  const wss = new WebSocketServer({ server: backend.server });
  wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`echo ${data.toString()}`)));
  proxy = new ProxyServer({ snapshot: makeSnapshot(poolConfig([backend.url])), telemetry: new RecordingTelemetry(), outcomes: new RecordingOutcomes() });
  port = (await proxy.listenHttps('127.0.0.1', 0, join(dir, 'server.crt'), join(dir, 'server.key'))).port;
});

afterAll(async () => {
  await proxy.close(1000);
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('HTTPS listener', () => {
  it('serves requests over TLS and tells the backend the protocol was https', async () => {
    const agent = new Agent({ connect: { rejectUnauthorized: false } });
    const response = await request(`https://127.0.0.1:${port}/`, { dispatcher: agent });
    expect(await response.body.text()).toBe('over tls');
    expect(seenProto).toEqual(['https']);
    await agent.close();
  });

  it('picks up a replaced certificate without a restart and keeps it when the next pair is broken', async () => {
    expect(await servedCommonName()).toBe('first');
    const second = makeCertificate('second');
    const reloaded = once(proxy, 'certificateReloaded');
    install(second);
    await reloaded;
    expect(await servedCommonName()).toBe('second');

    // A certificate whose key does not match: reported, and the previous pair stays in service.
    const third = makeCertificate('third');
    const failed = once(proxy, 'certificateError');
    const warned = new Promise<string | undefined>((resolve) => {
      const onWarning = (warning: Error & { code?: string }) => {
        if (warning.code !== 'EK_PROXY_CERTIFICATE_INVALID') return;
        process.off('warning', onWarning);
        resolve(warning.code);
      };
      process.on('warning', onWarning);
    });
    install({ cert: third.cert, key: second.key });
    const [error] = (await failed) as [Error];
    expect(error.message).toMatch(/mismatch/);
    expect((error as Error & { code?: string }).code).toBe('EK_PROXY_CERTIFICATE_INVALID');
    expect(await warned).toBe('EK_PROXY_CERTIFICATE_INVALID');
    expect(await servedCommonName()).toBe('second');
  });

  it('proxies a WebSocket over TLS (wss)', async () => {
    const client = new WebSocket(`wss://127.0.0.1:${port}/socket`, { rejectUnauthorized: false });
    await once(client, 'open');
    client.send('ping');
    const [reply] = (await once(client, 'message')) as [Buffer];
    expect(reply.toString()).toBe('echo ping');
    client.close();
    await once(client, 'close');
  });

  it('refuses to start an HTTPS listener on missing certificate files with a stable code', async () => {
    const other = new ProxyServer({ snapshot: makeSnapshot(poolConfig([backend.url])), telemetry: new RecordingTelemetry(), outcomes: new RecordingOutcomes() });
    await expect(other.listenHttps('127.0.0.1', 0, join(dir, 'missing.crt'), join(dir, 'missing.key'))).rejects.toMatchObject({ code: 'EK_PROXY_CERTIFICATE_INVALID' });
    await other.close(0);
  });
});
