// How an incident report writes times, durations, counts and shares. The postmortem reads "from 10:00
// AM to 12:45 PM GMT" and "45 minutes": people compare durations at a glance, so they are written as
// a person would say them (4.2 s, 1 min 58 s, 45 min, 2 h 45 min), and every clock time is UTC so that
// a report read in another time zone still lines up with the logs.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** "0.4 s", "4.2 s", "42 s", "1 min 58 s", "45 min", "2 h 45 min", "3 d 2 h". Negative durations get a minus sign. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'unknown';
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms === 0) return '0 s';
  if (ms < 10 * SECOND) {
    const tenths = Math.round(ms / 100) / 10;
    if (tenths < 10) return `${tenths.toFixed(1)} s`;
  }
  const seconds = Math.round(ms / SECOND);
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 600) {
    const rest = seconds % 60;
    return rest === 0 ? `${Math.floor(seconds / 60)} min` : `${Math.floor(seconds / 60)} min ${rest} s`;
  }
  const minutes = Math.round(ms / MINUTE);
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 24 * 60) {
    const rest = minutes % 60;
    return rest === 0 ? `${Math.floor(minutes / 60)} h` : `${Math.floor(minutes / 60)} h ${rest} min`;
  }
  const hours = Math.round(ms / HOUR);
  const rest = hours % 24;
  return rest === 0 ? `${Math.floor(hours / 24)} d` : `${Math.floor(hours / 24)} d ${rest} h`;
}

/** An offset from the first sign: "+4.2 s", "-2 min", "+0 s". */
export function formatOffset(ms: number): string {
  return ms < 0 ? formatDuration(ms) : `+${formatDuration(ms)}`;
}

/** "10:00:04" (UTC). */
export function formatUtcTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** "2024-05-01" (UTC). */
export function formatUtcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** "2024-05-01 10:00:04 UTC". */
export function formatUtcDateTime(ms: number): string {
  return `${formatUtcDate(ms)} ${formatUtcTime(ms)} UTC`;
}

/** Whole numbers with thousands separators: "48,210". */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** "31%", "4.5%", "0.2%", "<0.1%", "0%": one decimal under 10%, so a small failure rate is not rounded away. */
export function formatShare(share: number): string {
  if (!Number.isFinite(share) || share <= 0) return '0%';
  const percent = share * 100;
  if (percent < 0.05) return '<0.1%';
  if (percent < 9.95) return `${(Math.round(percent * 10) / 10).toString()}%`;
  return `${Math.round(percent)}%`;
}

/** "web-1", "web-1 and web-2", "web-1, web-2 and web-3". */
export function listOfNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]!}`;
}
