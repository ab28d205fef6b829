// Wording shared by the rules' one-line summaries: names joined as in a sentence, whole percentages,
// plain numbers with thousands separators.

/** "web-1", "web-1 and web-2", "web-1, web-2 and web-3". */
export function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** 0.8134 -> "81%". */
export function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/** 1020.4 -> "1,020"; whole numbers. */
export function wholeNumber(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** 1.75 -> "1.8"; one decimal. */
export function ratio(value: number): string {
  return (Math.round(value * 10) / 10).toString();
}
