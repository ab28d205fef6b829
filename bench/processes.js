// Child processes of one benchmark run: every server and load generator is started here, pinned to a
// core with taskset(1), and killed when the run ends, also on Ctrl-C or an uncaught error.
import { spawn, spawnSync } from 'node:child_process';
import { createServer, connect } from 'node:net';

/** True when a command exists on PATH. */
export function hasCommand(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** A free TCP port on 127.0.0.1 (bound to port 0, then released; the race is harmless on a quiet box). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port; rejects after timeoutMs. */
export function waitForPort(port, timeoutMs, child) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child && child.exitCode !== null) {
        reject(new Error(`process exited with code ${child.exitCode} before listening on port ${port}`));
        return;
      }
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(); });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

function signalGroup(child, signal) {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch (error) {
    if (error.code !== 'ESRCH') throw error; // ESRCH: the group is already gone
  }
}

/** The set of children one run owns; kill() ends them all, and process exit paths call it. */
export class ChildSet {
  /** niceness: when set (e.g. -10, needs root), every child runs under `nice -n niceness`. */
  constructor({ niceness } = {}) {
    this.children = new Set();
    this.hasTaskset = hasCommand('taskset');
    this.niceness = niceness;
    /** Called with each child right after it is spawned (rss-timeline.js samples from there). */
    this.onSpawn = undefined;
    this.onSignal = (signal) => {
      this.killAll();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
    process.once('exit', () => this.killAll());
  }

  /**
   * Starts `command args` pinned to one core. taskset execs the command, so the pid is the command's.
   * stdout/stderr are kept (last 8 KiB) for error messages unless `inherit` is set.
   */
  spawn(core, command, args, { env, cwd, inherit = false } = {}) {
    let argv = this.hasTaskset && core !== undefined ? ['taskset', ['-c', String(core), command, ...args]] : [command, args];
    // nice and taskset both exec their command, so child.pid stays the pid of the server itself.
    if (this.niceness !== undefined) argv = ['nice', ['-n', String(this.niceness), argv[0], ...argv[1]]];
    // detached: each child leads its own process group, so that killing the group also ends
    // grandchildren such as an nginx master's worker, and Ctrl-C reaches only this harness.
    const child = spawn(argv[0], argv[1], { env: env ?? process.env, cwd, detached: true, stdio: inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
    child.output = '';
    const keep = (chunk) => { child.output = (child.output + chunk.toString()).slice(-8192); };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('error', (error) => { child.output += `\n${error.message}`; });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    this.onSpawn?.(child);
    return child;
  }

  /** Sends SIGTERM to the child's process group, then SIGKILL after graceMs if it is still there. */
  stop(child, graceMs = 2000) {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
      child.once('exit', () => {
        clearTimeout(timer);
        signalGroup(child, 'SIGKILL'); // leftovers of the group, e.g. a worker whose master died
        resolve();
      });
      signalGroup(child, 'SIGTERM');
    });
  }

  /** Synchronous last resort for exit paths: SIGKILL to the group of every child still running. */
  killAll() {
    for (const child of this.children) signalGroup(child, 'SIGKILL');
    this.children.clear();
  }

  /** Stops every child gracefully and removes the signal handlers. */
  async stopAll() {
    await Promise.all([...this.children].map((child) => this.stop(child)));
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
  }
}
