import type { ReadProblem, SourcePosition } from '../model.js';

// The HAProxy config grammar: one keyword line per line, grouped under section headers. Words split
// on blanks; "#" starts a comment outside quotes; "..." allows backslash escapes, '...' does not, and
// a backslash outside quotes escapes the next character ("stats realm Haproxy\ Statistics"). Written
// by hand: no npm parser of haproxy.cfg that keeps positions was found, and the grammar is small.

export interface HaproxyWord {
  readonly value: string;
  readonly at: SourcePosition;
}

export interface HaproxyLine {
  /** "timeout connect", "option httpchk", "no option redispatch", "stats socket", "server" ... */
  readonly key: string;
  readonly words: readonly HaproxyWord[];
  /** The words after the key. */
  readonly args: readonly HaproxyWord[];
  readonly at: SourcePosition;
}

export const SECTION_KEYWORDS = new Set([
  'global', 'defaults', 'frontend', 'backend', 'listen', 'peers', 'resolvers', 'userlist', 'mailers', 'cache', 'program',
  'http-errors', 'ring', 'log-forward', 'fcgi-app', 'crt-store', 'traces', 'acme', 'tcpcheck-ruleset',
]);
const PROXY_SECTIONS = new Set(['defaults', 'frontend', 'backend', 'listen']);
/** Keywords whose second word names what they set, so "timeout connect" and "timeout server" are different settings. */
const COMPOUND_KEYWORDS = new Set(['option', 'timeout', 'stats', 'no']);

export interface HaproxySection {
  /** "global", "defaults", "backend" ...; "unknown" for a header HAProxy would refuse. */
  readonly kind: string;
  readonly name: string | undefined;
  /** `defaults from NAME` / `backend app from NAME`. */
  readonly from: HaproxyWord | undefined;
  /** Header words after the name (old `listen NAME ADDR` syntax). */
  readonly headerArgs: readonly HaproxyWord[];
  readonly at: SourcePosition;
  readonly lines: HaproxyLine[];
  /** "defaults", "defaults web", "backend app", "global". */
  readonly scope: string;
}

/** Splits one line into words; an unterminated quote is a problem and ends the line. */
function wordsOf(text: string, lineNumber: number, file: string, problems: ReadProblem[]): HaproxyWord[] {
  const words: HaproxyWord[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    if (char === ' ' || char === '\t' || char === '\r') {
      index += 1;
      continue;
    }
    if (char === '#') break;
    const at = { file, line: lineNumber, column: index + 1 };
    let value = '';
    while (index < text.length) {
      const next = text[index]!;
      if (next === ' ' || next === '\t' || next === '\r' || next === '#') break;
      if (next === '\\' && index + 1 < text.length) {
        value += text[index + 1];
        index += 2;
      } else if (next === '"' || next === "'") {
        const close = findClosingQuote(text, index);
        if (close === -1) {
          problems.push({ message: `unterminated ${next === '"' ? 'double' : 'single'}-quoted string`, at: { file, line: lineNumber, column: index + 1 } });
          value += text.slice(index + 1);
          index = text.length;
        } else {
          const body = text.slice(index + 1, close);
          value += next === '"' ? body.replace(/\\(.)/g, '$1') : body;
          index = close + 1;
        }
      } else {
        value += next;
        index += 1;
      }
    }
    words.push({ value, at });
  }
  return words;
}

function findClosingQuote(text: string, open: number): number {
  const quote = text[open];
  for (let index = open + 1; index < text.length; index += 1) {
    if (quote === '"' && text[index] === '\\') index += 1;
    else if (text[index] === quote) return index;
  }
  return -1;
}

function lineOf(words: HaproxyWord[]): HaproxyLine {
  const first = words[0]!;
  const keyLength = COMPOUND_KEYWORDS.has(first.value) && words.length > 1 ? (first.value === 'no' && words[1]!.value === 'option' && words.length > 2 ? 3 : 2) : 1;
  return { key: words.slice(0, keyLength).map((word) => word.value).join(' '), words, args: words.slice(keyLength), at: first.at };
}

/** Parses haproxy.cfg text into sections; problems (with positions) are pushed, never thrown. */
export function parseHaproxyText(text: string, file: string, problems: ReadProblem[]): HaproxySection[] {
  const sections: HaproxySection[] = [];
  const lines = text.split('\n');
  let current: HaproxySection | undefined;
  for (let index = 0; index < lines.length; index += 1) {
    const words = wordsOf(lines[index]!, index + 1, file, problems);
    if (words.length === 0) continue;
    const keyword = words[0]!.value;
    if (SECTION_KEYWORDS.has(keyword) || looksLikeUnknownSection(lines, index, words)) {
      const isKnown = SECTION_KEYWORDS.has(keyword);
      if (!isKnown) problems.push({ message: `unknown section "${keyword}"; its lines are ignored`, at: words[0]!.at });
      const rawName = keyword === 'global' ? undefined : words[1]?.value;
      const name = rawName === 'from' ? undefined : rawName;
      const fromIndex = words.findIndex((word, position) => position >= 1 && word.value === 'from');
      const from = PROXY_SECTIONS.has(keyword) && fromIndex !== -1 ? words[fromIndex + 1] : undefined;
      if (PROXY_SECTIONS.has(keyword) && keyword !== 'defaults' && name === undefined) problems.push({ message: `${keyword} section has no name`, at: words[0]!.at });
      if (fromIndex !== -1 && from === undefined && PROXY_SECTIONS.has(keyword)) problems.push({ message: '"from" names no defaults section', at: words[fromIndex]!.at });
      const headerStart = name === undefined ? 1 : 2;
      const headerArgs = words.slice(headerStart, Math.max(headerStart, fromIndex === -1 ? words.length : fromIndex));
      current = {
        kind: isKnown ? keyword : 'unknown',
        name,
        from,
        headerArgs,
        at: words[0]!.at,
        lines: [],
        scope: name === undefined ? keyword : `${keyword} ${name}`,
      };
      sections.push(current);
      continue;
    }
    if (current === undefined) {
      problems.push({ message: `"${keyword}" is outside any section (expected global, defaults, frontend, backend or listen first)`, at: words[0]!.at });
      continue;
    }
    current.lines.push(lineOf(words));
  }
  return sections;
}

/** Keywords that are often written unindented inside a section; never read as a misspelt header. */
const COMMON_KEYWORDS = new Set([
  'balance', 'server', 'default-server', 'mode', 'timeout', 'option', 'no', 'bind', 'maxconn', 'log', 'stats', 'default_backend', 'use_backend', 'acl',
  'http-request', 'http-response', 'cookie', 'retries', 'retry-on', 'stick', 'stick-table', 'hash-type', 'errorfile', 'user', 'group', 'daemon', 'chroot',
  'pidfile', 'nbthread', 'fullconn', 'http-check', 'tcp-check', 'tcp-request', 'redirect', 'description', 'server-template', 'hash-balance-factor',
]);

/** An unindented unknown word followed by indented lines reads as a misspelt section header ("backnd app"). */
function looksLikeUnknownSection(lines: readonly string[], index: number, words: readonly HaproxyWord[]): boolean {
  if (words[0]!.at.column !== 1 || COMMON_KEYWORDS.has(words[0]!.value) || words.length > 3) return false;
  for (let next = index + 1; next < lines.length; next += 1) {
    const text = lines[next]!;
    if (text.trim() === '' || text.trim().startsWith('#')) continue;
    return /^[ \t]/.test(text);
  }
  return false;
}
