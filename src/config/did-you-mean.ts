/**
 * Optimal string alignment distance (Damerau–Levenshtein restricted to non-overlapping
 * transpositions), so that "algoritm" and "algorihtm" are both one or two edits from "algorithm".
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[(i - 1) * cols + j] + 1, d[i * cols + j - 1] + 1, d[(i - 1) * cols + j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[(i - 2) * cols + j - 2] + 1);
      d[i * cols + j] = best;
    }
  }
  return d[rows * cols - 1];
}

/**
 * The closest candidate to `word`, or undefined when none is close enough to be a plausible typo:
 * at most a third of the word's length in edits (at least 1, at most 3) and fewer edits than either
 * word has letters (so "c" does not suggest "a"), compared case-insensitively, with "-" and "_"
 * treated alike since YAML keys are snake_case and enum values kebab-case.
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const normalize = (text: string) => text.toLowerCase().replace(/-/g, '_');
  const target = normalize(word);
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const normalized = normalize(candidate);
    const distance = editDistance(target, normalized);
    if (distance < bestDistance && distance < Math.min(target.length, normalized.length)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}
