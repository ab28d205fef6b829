import { afterEach, describe, expect, it, vi } from 'vitest';

// The request sample stamps each request with wallClockMs(its performance.now() start); the monitor
// and impact simulations select those stamps by Date.now() windows. A stepped system clock must not
// leave the two timelines apart.

describe('wallClockMs', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('follows a step of the system clock within a second', async () => {
    // Date and the interval are faked (the clock can be stepped); performance.now() stays real.
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    vi.resetModules();
    const { wallClockMs } = await import('../../src/proxy/wall-clock.js');
    expect(Math.abs(wallClockMs(performance.now()) - Date.now())).toBeLessThan(50);

    const stepMs = 3_600_000; // NTP moves the clock an hour ahead
    vi.setSystemTime(Date.now() + stepMs);
    expect(Date.now() - wallClockMs(performance.now())).toBeGreaterThan(stepMs - 50);

    vi.advanceTimersByTime(1000);
    expect(Math.abs(wallClockMs(performance.now()) - Date.now())).toBeLessThan(50);

    vi.setSystemTime(Date.now() - 2 * stepMs); // and back, further than it went
    vi.advanceTimersByTime(1000);
    expect(Math.abs(wallClockMs(performance.now()) - Date.now())).toBeLessThan(50);
  });
});
