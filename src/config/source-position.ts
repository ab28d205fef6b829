import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/** A 1-based line and column in a YAML file. */
export interface SourcePosition {
  line: number;
  column: number;
}

/**
 * Finds where `path` is written in the YAML document, for error messages.
 *
 * Points at the key of a mapping entry ("weight:" rather than its value) and at the item of a list,
 * so that a message reads "line 14: the weight entry". When the path does not exist in the file (a
 * missing required key, or a section filled in from defaults), points at the deepest entry that
 * does exist, i.e. the parent mapping the key is missing from.
 */
export function locatePath(doc: Document, lineCounter: LineCounter, path: readonly PropertyKey[]): SourcePosition {
  let node: unknown = doc.contents;
  let entryOffset = offsetOf(node) ?? 0;
  for (const segment of path) {
    node = resolveAlias(doc, node);
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      entryOffset = offsetOf(pair.key) ?? offsetOf(pair.value) ?? entryOffset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) break;
      entryOffset = offsetOf(item) ?? entryOffset;
      node = item;
    } else {
      break;
    }
  }
  const { line, col } = lineCounter.linePos(entryOffset);
  return { line, column: col };
}

/** The position of a byte offset, for YAML syntax errors. */
export function positionOfOffset(lineCounter: LineCounter, offset: number): SourcePosition {
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

function offsetOf(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}

function resolveAlias(doc: Document, node: unknown): unknown {
  // Bounded: a YAML alias can only point at an anchor defined before it, but stay defensive.
  for (let hops = 0; hops < 16 && isAlias(node); hops++) node = node.resolve(doc);
  return node;
}
