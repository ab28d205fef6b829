import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseScenarioText, runDrill, type DrillProgress } from '../../src/drill/index.js';

// What a user of `drill run` notices when a drill is stopped: an 'error' verdict that says so, and
// nothing left behind: the node's ports are closed once runDrill resolves. Starts a real node
// (`npm run build` first).

const SCENARIO = parseScenarioText(
  `name: stopped
title: A drill stopped during its warmup
backends: { ids: [web-1, web-2] }
traffic: { rate: 20 }
phases:
  warmup: 60s
  fault: { kind: crash, backends: [web-1] }
`,
  'stopped.yaml',
);

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('runDrill', () => {
  it('stops on abort with an error verdict and leaves no node listening', async () => {
    const abort = new AbortController();
    const phases: string[] = [];
    const onProgress = (progress: DrillProgress) => {
      if (phases.at(-1) !== progress.phase) phases.push(progress.phase);
      if (progress.phase === 'warmup') abort.abort();
    };
    const result = await runDrill(SCENARIO, { speed: 1, signal: abort.signal, onProgress });
    expect(result.verdict).toBe('error');
    expect(result.error).toMatch(/the drill was stopped/);
    expect(phases).toEqual(['starting', 'warmup']);
    const started = result.timeline.find((entry) => entry.kind === 'drill.start');
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(started?.text ?? '')?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(await isListening(port)).toBe(false);
  }, 60_000);

  it('refuses a speed out of range with an error verdict before starting anything', async () => {
    const result = await runDrill(SCENARIO, { speed: 0 });
    expect(result.verdict).toBe('error');
    expect(result.error).toMatch(/expected a speed from 0 \(exclusive\) to 100, got 0/);
    expect(result.timeline.some((entry) => entry.kind === 'drill.start')).toBe(false);
  });
});
