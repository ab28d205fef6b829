// Peak resident memory of a target: VmHWM (the kernel's high-water mark of RSS) from /proc, summed
// over the process and its descendants. For a multi-process target (nginx master + worker) the sum of
// peaks is an upper bound of the peak of the sum, which is the conservative side for a memory target.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

function readStatusKb(pid, field) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0; // the process is gone
  }
}

function childrenOf(pid) {
  const children = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const list = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (list) for (const child of list.split(/\s+/)) children.push(Number(child));
    }
  } catch {
    // the process is gone, or the kernel lacks /proc/<pid>/task/<tid>/children
  }
  return children;
}

/** Pids of the process and all its descendants. */
export function processTree(pid) {
  const pids = [];
  const pending = [pid];
  while (pending.length > 0 && pids.length < 1024) {
    const next = pending.pop();
    pids.push(next);
    pending.push(...childrenOf(next));
  }
  return pids;
}

/** Peak RSS in MiB of the process tree rooted at pid, as the kernel recorded it so far. */
export function peakRssMiB(pid) {
  let kb = 0;
  for (const member of processTree(pid)) kb += readStatusKb(member, 'VmHWM');
  return kb / 1024;
}

/** Current RSS in MiB of the process tree rooted at pid. */
export function rssMiB(pid) {
  let kb = 0;
  for (const member of processTree(pid)) kb += readStatusKb(member, 'VmRSS');
  return kb / 1024;
}

/**
 * Resets the kernel's high-water mark of RSS (VmHWM) of the process tree to its current RSS
 * (`echo 5 > /proc/PID/clear_refs`), so that a later peakRssMiB is the peak since now: the peak
 * under a load, apart from start-up (a first start hashes the bootstrap admin token with scrypt:
 * 32 MiB for ~0.2 s). Returns false when the kernel refused (then the peak includes start-up).
 */
export function resetPeakRss(pid) {
  let isReset = true;
  for (const member of processTree(pid)) {
    try {
      writeFileSync(`/proc/${member}/clear_refs`, '5');
    } catch {
      isReset = false;
    }
  }
  return isReset;
}
