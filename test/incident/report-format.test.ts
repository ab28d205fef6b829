import { describe, expect, it } from 'vitest';
import { formatDuration, formatOffset, formatShare } from '../../src/incident/report-format.js';

describe('incident report wording', () => {
  it('writes durations as people say them, from a drill\'s seconds to the postmortem\'s 2 h 45 min', () => {
    const cases: Array<[number, string]> = [
      [0, '0 s'],
      [400, '0.4 s'],
      [4_200, '4.2 s'],
      [9_960, '10 s'],
      [42_000, '42 s'],
      [59_600, '1 min'],
      [118_000, '1 min 58 s'],
      [599_600, '10 min'],
      [45 * 60_000, '45 min'],
      [3_599_000, '1 h'],
      [165 * 60_000, '2 h 45 min'],
      [26 * 3_600_000, '1 d 2 h'],
      [-120_000, '-2 min'],
    ];
    for (const [ms, words] of cases) expect(formatDuration(ms), `${ms} ms`).toBe(words);
    expect(formatOffset(4_200)).toBe('+4.2 s');
    expect(formatOffset(-140_000)).toBe('-2 min 20 s');
  });

  it('keeps a small failure rate visible instead of rounding it to 0%', () => {
    expect([0, 0.0002, 0.002, 0.063, 0.31, 1].map(formatShare)).toEqual(['0%', '<0.1%', '0.2%', '6.3%', '31%', '100%']);
  });
});
