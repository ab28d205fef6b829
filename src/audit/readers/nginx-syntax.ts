import type { ReadProblem, SourcePosition } from '../model.js';

// The NGINX config grammar: directives of words ending in ";" or a "{ ... }" block, "#" comments,
// '...' and "..." strings with backslash escapes. Written by hand because the npm parsers we looked
// at (nginx-conf, @webantic/nginx-config-parser) keep no line or column and stop at the first error;
// crossplane, which does both, is Python. Like crossplane, this parser recovers: an error becomes a
// ReadProblem at its position and parsing goes on with the next directive.

export interface NginxWord {
  readonly value: string;
  readonly at: SourcePosition;
}

export interface NginxDirective {
  readonly name: string;
  readonly args: readonly NginxWord[];
  readonly at: SourcePosition;
  /** The directives inside `{ ... }`; undefined for a simple directive. */
  readonly block: NginxDirective[] | undefined;
}

interface Token {
  readonly kind: 'word' | ';' | '{' | '}';
  readonly value: string;
  readonly at: SourcePosition;
}

/** Splits NGINX config text into tokens, reporting unterminated strings. */
function tokenize(text: string, file: string, problems: ReadProblem[]): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let column = 1;
  let index = 0;
  const advance = (): string => {
    const char = text[index++] ?? '';
    if (char === '\n') {
      line += 1;
      column = 1;
    } else {
      column += 1;
    }
    return char;
  };
  while (index < text.length) {
    const char = text[index] ?? '';
    if (/\s/.test(char)) {
      advance();
      continue;
    }
    const at = { file, line, column };
    if (char === '#') {
      while (index < text.length && text[index] !== '\n') advance();
      continue;
    }
    if (char === ';' || char === '{' || char === '}') {
      advance();
      tokens.push({ kind: char, value: char, at });
      continue;
    }
    if (char === '"' || char === "'") {
      advance();
      let value = '';
      let isClosed = false;
      while (index < text.length) {
        const next = advance();
        if (next === '\\' && index < text.length) {
          const escaped = advance();
          value += escaped === char || escaped === '\\' ? escaped : `\\${escaped}`;
        } else if (next === char) {
          isClosed = true;
          break;
        } else {
          value += next;
        }
      }
      if (!isClosed) problems.push({ message: `unterminated ${char === '"' ? 'double' : 'single'}-quoted string`, at });
      tokens.push({ kind: 'word', value, at });
      continue;
    }
    let value = '';
    while (index < text.length) {
      const next = text[index] ?? '';
      if (/\s/.test(next) || next === ';' || next === '}') break;
      if (next === '{') {
        // "${var}" keeps its braces inside a word; any other "{" opens a block.
        if (!value.endsWith('$')) break;
        while (index < text.length && text[index] !== '}' && !/\s/.test(text[index] ?? '')) value += advance();
        if (text[index] === '}') value += advance();
        continue;
      }
      if (next === '\\' && index + 1 < text.length) value += advance();
      value += advance();
    }
    tokens.push({ kind: 'word', value, at });
  }
  return tokens;
}

/** Parses NGINX config text into directives; syntax errors are pushed to `problems` with their position. */
export function parseNginxText(text: string, file: string, problems: ReadProblem[]): NginxDirective[] {
  const tokens = tokenize(text, file, problems);
  const root: NginxDirective[] = [];
  const open: { directive: NginxDirective | undefined; children: NginxDirective[] }[] = [{ directive: undefined, children: root }];
  let words: Token[] = [];
  const current = () => open[open.length - 1]!.children;
  for (const token of tokens) {
    if (token.kind === 'word') {
      words.push(token);
      continue;
    }
    if (token.kind === ';') {
      const [name, ...args] = words;
      if (name === undefined) problems.push({ message: 'unexpected ";" with no directive before it', at: token.at });
      else current().push({ name: name.value, args: args.map(toWord), at: name.at, block: undefined });
      words = [];
      continue;
    }
    if (token.kind === '{') {
      const [name, ...args] = words;
      words = [];
      const directive: NginxDirective = { name: name?.value ?? '', args: args.map(toWord), at: name?.at ?? token.at, block: [] };
      if (name === undefined) problems.push({ message: 'unexpected "{" with no directive before it', at: token.at });
      current().push(directive);
      open.push({ directive, children: directive.block! });
      continue;
    }
    // "}"
    if (words.length > 0) {
      problems.push({ message: `directive "${words[0]!.value}" is not terminated by ";"`, at: words[0]!.at });
      current().push({ name: words[0]!.value, args: words.slice(1).map(toWord), at: words[0]!.at, block: undefined });
      words = [];
    }
    if (open.length === 1) problems.push({ message: 'unexpected "}" with no open block', at: token.at });
    else open.pop();
  }
  if (words.length > 0) {
    problems.push({ message: `directive "${words[0]!.value}" is not terminated by ";" (unexpected end of file)`, at: words[0]!.at });
    current().push({ name: words[0]!.value, args: words.slice(1).map(toWord), at: words[0]!.at, block: undefined });
  }
  for (const { directive } of open.slice(1)) {
    problems.push({ message: `block "${directive!.name}" is not closed by "}" (unexpected end of file)`, at: directive!.at });
  }
  return root;
}

function toWord(token: Token): NginxWord {
  return { value: token.value, at: token.at };
}
