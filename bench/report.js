// The printed result: a throughput table with ratios against the anchors measured in the same run, a
// fixed-rate latency table, and the targets as PASS/FAIL lines. Measurement, not a gate: the
// runner never exits non-zero on FAIL.

/** Median of numbers (mean of the middle two for an even count). */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Bytes-per-MB as in the targets ("120 MB"): decimal megabytes, the stricter reading of VmHWM's KiB. */
export const mibToMb = (mib) => (mib * 1024 * 1024) / 1e6;

/** Left-aligned first column, right-aligned others, as plain text with a rule under the header. */
export function formatTable(header, rows) {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

const fixed = (value, digits) => (Number.isFinite(value) ? value.toFixed(digits) : '—');
const ratio = (value, anchor) => (Number.isFinite(value) && Number.isFinite(anchor) && anchor > 0 ? `${(value / anchor).toFixed(2)}x` : '—');

/**
 * Summarises closed-loop results: results[name] = { runs: [{ requestsPerSecond, p50Ms, p99Ms, errors }], peakRssMiB }.
 * Returns { rows (for JSON), text }.
 */
export function throughputTable(results) {
  const summary = {};
  for (const [name, result] of Object.entries(results)) {
    const runs = result.runs;
    summary[name] = {
      requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
      minRequestsPerSecond: Math.min(...runs.map((run) => run.requestsPerSecond)),
      maxRequestsPerSecond: Math.max(...runs.map((run) => run.requestsPerSecond)),
      p50Ms: median(runs.map((run) => run.p50Ms)),
      p99Ms: median(runs.map((run) => run.p99Ms)),
      errors: runs.reduce((sum, run) => sum + run.errors, 0),
      peakRssMb: result.peakRssMiB === undefined ? NaN : mibToMb(result.peakRssMiB),
      cpuUsPerRequest: median(runs.map((run) => run.cpuUsPerRequest ?? NaN)),
      rounds: runs.length,
    };
  }
  const anchor = (name) => summary[name]?.requestsPerSecond ?? NaN;
  const rows = Object.entries(summary).map(([name, s]) => [
    name,
    Math.round(s.requestsPerSecond).toLocaleString('en-US'),
    `${Math.round(s.minRequestsPerSecond / 1000)}k-${Math.round(s.maxRequestsPerSecond / 1000)}k`,
    fixed(s.p50Ms, 2),
    fixed(s.p99Ms, 2),
    fixed(s.peakRssMb, 0),
    fixed(s.cpuUsPerRequest, 1),
    String(s.errors),
    ratio(s.requestsPerSecond, anchor('nginx')),
    ratio(s.requestsPerSecond, anchor('direct')),
    ratio(s.requestsPerSecond, anchor('minimal-proxy')),
  ]);
  const header = ['target', 'req/s (median)', 'range', 'p50 ms', 'p99 ms', 'peak RSS MB', 'CPU µs/req', 'errors', 'vs nginx', 'vs direct', 'vs minimal'];
  return { summary, text: formatTable(header, rows) };
}

/** Summarises fixed-rate results: results[name] = { p50Ms, p99Ms, ..., peakRssMiB }. */
export function fixedRateTable(results) {
  const directP99 = results.direct?.p99Ms ?? NaN;
  const rows = Object.entries(results).map(([name, r]) => [
    name,
    Math.round(r.achievedRate).toLocaleString('en-US'),
    fixed(r.p50Ms, 2),
    fixed(r.p99Ms, 2),
    name === 'direct' ? '—' : fixed(r.p99Ms - directP99, 2),
    fixed(r.p999Ms, 2),
    fixed(r.serviceP99Ms, 2),
    fixed(r.sendLagP99Ms, 2),
    fixed(r.cpuPercent, 0),
    fixed(r.peakRssMiB === undefined ? NaN : mibToMb(r.peakRssMiB), 0),
    String(r.errors),
  ]);
  const header = ['target', 'achieved req/s', 'p50 ms', 'p99 ms', 'p99 - direct', 'p99.9 ms', 'service p99', 'send lag p99', 'proxy CPU %', 'peak RSS MB', 'errors'];
  return formatTable(header, rows);
}

/** The targets, each { label, measured, pass } (pass is null when a figure is missing). */
export function checkTargets(throughput, fixedRate) {
  const rps = (name) => throughput[name]?.requestsPerSecond ?? NaN;
  const evenkeel = rps('evenkeel');
  const ratioCheck = (label, anchorName, minimum) => {
    const value = evenkeel / rps(anchorName);
    return { label: `throughput >= ${minimum}x ${label}`, measured: Number.isFinite(value) ? `${value.toFixed(2)}x` : 'not measured', pass: Number.isFinite(value) ? value >= minimum : null };
  };
  const p99Delta = (fixedRate.evenkeel?.p99Ms ?? NaN) - (fixedRate.direct?.p99Ms ?? NaN);
  const rssMb = fixedRate.evenkeel?.peakRssMiB === undefined ? NaN : mibToMb(fixedRate.evenkeel.peakRssMiB);
  const rate = fixedRate.evenkeel?.rate ?? 5000;
  return [
    ratioCheck('node-http-proxy', 'node-http-proxy', 1.5),
    ratioCheck('@fastify/http-proxy', '@fastify/http-proxy', 1.4),
    ratioCheck('minimal node:http + undici proxy', 'minimal-proxy', 0.9),
    { label: `p99 at ${rate} req/s <= direct p99 + 1 ms`, measured: Number.isFinite(p99Delta) ? `+${p99Delta.toFixed(2)} ms` : 'not measured', pass: Number.isFinite(p99Delta) ? p99Delta <= 1 : null },
    { label: `peak RSS at ${rate} req/s <= 120 MB`, measured: Number.isFinite(rssMb) ? `${rssMb.toFixed(0)} MB` : 'not measured', pass: Number.isFinite(rssMb) ? rssMb <= 120 : null },
  ];
}

/** The PASS/FAIL lines. */
export function formatTargets(checks) {
  return checks.map((check) => `${check.pass === null ? 'N/A ' : check.pass ? 'PASS' : 'FAIL'}  evenkeel ${check.label}: ${check.measured}`).join('\n');
}

/**
 * Not a target but the figure behind the throughput ratio: evenkeel's CPU per request against the
 * minimal proxy's. When the proxy's core is the bottleneck for both, the throughput ratio is its
 * inverse; when the load generator's core is (a fast proxy on a slow machine), it is not.
 */
export function formatCpuComparison(throughput) {
  const evenkeel = throughput.evenkeel?.cpuUsPerRequest ?? NaN;
  const minimal = throughput['minimal-proxy']?.cpuUsPerRequest ?? NaN;
  if (!Number.isFinite(evenkeel) || !Number.isFinite(minimal)) return 'INFO  evenkeel CPU per request against minimal-proxy: not measured';
  return `INFO  evenkeel CPU per request: ${(evenkeel / minimal).toFixed(2)}x minimal-proxy's (${evenkeel.toFixed(1)} vs ${minimal.toFixed(1)} µs)`;
}
