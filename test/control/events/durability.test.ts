import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listEvents, verifyEvents } from '../../../src/control/index.js';
import { createStoreFixture, DIALECTS, type StoreFixture } from '../store-fixture.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const CHILD = path.join(here, 'append-child.ts');
const ACKS_BEFORE_KILL = 30;

interface Appender {
  readonly child: ChildProcess;
  readonly actor: string;
  readonly acknowledged: number[];
  readonly exited: Promise<NodeJS.Signals | null>;
}

/** Starts a process that appends events in a loop; `acknowledged` collects the seqs it printed after commit. */
function startAppender(url: string, actor: string, onAck: () => void): Appender {
  // tsx 4 registers its ESM loader with `--import tsx` (resolved from the repo root).
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, url, actor], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const acknowledged: number[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    acknowledged.push(Number(line));
    onAck();
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve, reject) => {
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(signal) : reject(new Error(`appender ${actor} exited with ${code}: ${stderr}`))));
  });
  return { child, actor, acknowledged, exited };
}

describe.each(DIALECTS)('durability of the %s audit log', (dialect) => {
  let fixture: StoreFixture;
  beforeEach(() => {
    fixture = createStoreFixture(dialect);
  });
  afterEach(async () => {
    await fixture.dispose();
  });

  it('keeps every acknowledged event and an unbroken chain when appending processes are SIGKILLed', { timeout: 60_000 }, async () => {
    // Migrate first so the children race on appends, not on creating the schema.
    await (await fixture.open()).close();

    let appenders: Appender[] = [];
    const enoughAcks = new Promise<void>((resolve) => {
      const check = () => {
        if (appenders.length === 2 && appenders.every((appender) => appender.acknowledged.length >= ACKS_BEFORE_KILL)) resolve();
      };
      appenders = [startAppender(fixture.url, 'node:a', check), startAppender(fixture.url, 'node:b', check)];
    });
    try {
      await Promise.race([enoughAcks, ...appenders.map((appender) => appender.exited)]);
    } finally {
      // Killed mid-loop: most likely in the middle of a transaction.
      for (const appender of appenders) appender.child.kill('SIGKILL');
    }
    await Promise.all(appenders.map((appender) => appender.exited));

    const store = await fixture.open();
    const verification = await verifyEvents(store);
    expect(verification.ok).toBe(true);
    const events = await listEvents(store, { limit: 10_000 });
    const actorBySeq = new Map(events.map((event) => [event.seq, event.actor]));
    for (const appender of appenders) {
      expect(appender.acknowledged.length).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);
      for (const seq of appender.acknowledged) expect(actorBySeq.get(seq)).toBe(appender.actor);
    }
  });
});
