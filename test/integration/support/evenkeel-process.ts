import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../../../bin/evenkeel.js');

/** A free TCP port on 127.0.0.1 (the kernel picks it; closed again before use). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

export interface EvenkeelProcess {
  child: ChildProcess;
  /** The temp dir holding the config file and the store (sqlite://<dir>/evenkeel.db unless the config names one). */
  dir: string;
  configPath: string;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when stderr has printed `text` `count` times in all (bounded by timeoutMs). */
  waitForLog(text: string, count?: number, timeoutMs?: number): Promise<void>;
  /** Sends SIGTERM and resolves to the exit code. */
  stop(): Promise<number | null>;
}

export interface StartOptions {
  /** Reuse this dir (and the store in it) instead of a new temp dir: a restart of the same node. */
  dir?: string;
  /** Leave the config file in `dir` as it is (a restart with the file the node last had). */
  keepConfig?: boolean;
}

/** A config without a `store:` section gets a store in the test's temp dir, never ./data of the repo. */
export function withTestStore(configText: string, dir: string): string {
  return /^store:/m.test(configText) ? configText : `${configText.replace(/\n*$/, '\n')}store: { url: "sqlite://${join(dir, 'evenkeel.db')}" }\n`;
}

/** Writes the config to a temp dir and runs `evenkeel serve` on it until its banner is printed. */
export async function startEvenkeel(configText: string, args: string[] = [], env: NodeJS.ProcessEnv = {}, options: StartOptions = {}): Promise<EvenkeelProcess> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'evenkeel-test-'));
  const configPath = join(dir, 'evenkeel.yaml');
  if (options.keepConfig !== true) writeFileSync(configPath, withTestStore(configText, dir));
  const child = spawn(process.execPath, [BIN, 'serve', configPath, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, EVENKEEL_LOG_LEVEL: 'info', ...env },
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;

  const waitFor = (read: () => string, text: string, count: number, timeoutMs: number) =>
    new Promise<void>((resolvePromise, reject) => {
      const occurrences = () => read().split(text).length - 1;
      if (occurrences() >= count) return resolvePromise();
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${JSON.stringify(text)} x${count}\nstdout:\n${out}\nstderr:\n${err.slice(-4000)}`));
      }, timeoutMs);
      const check = () => {
        if (occurrences() >= count) {
          cleanup();
          resolvePromise();
        }
      };
      const onExit = () => {
        cleanup();
        reject(new Error(`evenkeel exited while waiting for ${JSON.stringify(text)}\nstdout:\n${out}\nstderr:\n${err.slice(-4000)}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        child.stderr!.off('data', check);
        child.off('exit', onExit);
      };
      child.stdout!.on('data', check);
      child.stderr!.on('data', check);
      child.once('exit', onExit);
    });

  try {
    await waitFor(() => out, 'evenkeel is running', 1, 20_000);
  } catch (error) {
    // A node that never came up must not outlive the test run.
    child.kill('SIGKILL');
    throw error;
  }
  return {
    child,
    dir,
    configPath,
    stdout: () => out,
    stderr: () => err,
    waitForLog: (text, count = 1, timeoutMs = 10_000) => waitFor(() => err, text, count, timeoutMs),
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await exited;
      return code;
    },
  };
}

export interface TestUpstream {
  port: number;
  url: string;
  name: string;
  requests: number;
  /** Resolves when the next (non-health-check) request arrives. */
  nextRequest(): Promise<void>;
  close(): Promise<void>;
}

/** A tiny backend answering every request with 200 and an `x-upstream` header naming itself. */
export async function startUpstream(name: string, delayMs = 0): Promise<TestUpstream> {
  const upstream = { requests: 0 } as TestUpstream;
  let waiters: Array<() => void> = [];
  const server = http.createServer((request, response) => {
    if (request.url !== '/healthz') {
      upstream.requests++;
      const toWake = waiters;
      waiters = [];
      for (const wake of toWake) wake();
    }
    request.resume();
    request.on('end', () => {
      const reply = () => response.writeHead(200, { 'x-upstream': name, 'content-type': 'text/plain' }).end(name);
      if (delayMs > 0 && request.url !== '/healthz') setTimeout(reply, delayMs);
      else reply();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return Object.assign(upstream, {
    port,
    url: `http://127.0.0.1:${port}`,
    name,
    nextRequest: () => new Promise<void>((wake) => waiters.push(wake)),
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  });
}

/** Reads one Prometheus sample's value from an exposition text, summed over matching label sets. */
export function sumMetric(text: string, name: string, labelFilter: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const matches = Object.entries(labelFilter).every(([key, value]) => line.includes(`${key}="${value}"`));
    if (matches) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
