// CPU time a target used: utime + stime from /proc/<pid>/stat, summed over the process and its
// descendants (an nginx master and its worker). Divided by the requests of a run it gives CPU µs per
// request, a figure that does not depend on whether the proxy's core or the load generator's core was
// the bottleneck; divided by the wall time of a run it gives how busy the proxy was (a p99 measured at
// 95% CPU says more about capacity than about latency).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { processTree } from './memory.js';

let ticksPerSecond;

function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

function ticksOf(pid) {
  try {
    // Fields after the command name, which sits in parentheses and may contain spaces.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime, stime
  } catch {
    return 0; // the process is gone
  }
}

/** CPU time in microseconds the process tree rooted at pid has used so far. */
export function cpuMicros(pid) {
  let ticks = 0;
  for (const member of processTree(pid)) ticks += ticksOf(member);
  return (ticks * 1e6) / clockTicks();
}
