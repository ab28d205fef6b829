// Key hashing for consistent hashing and Maglev. FNV-1a (Fowler, Noll, Vo) over UTF-16 code units is
// a few instructions per character and needs no allocation, but it mixes the last characters poorly,
// so the result goes through MurmurHash3's 32-bit finaliser (fmix32) to avalanche: "10.0.0.1" and
// "10.0.0.2" must land far apart on a ring. Not cryptographic; keys are not secrets.

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** MurmurHash3 fmix32: every input bit flips each output bit with probability about 1/2. */
export function mix32(hash: number): number {
  let h = hash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Unsigned 32-bit hash of text[start, end), without slicing the string. */
export function hashRange(text: string, start: number, end: number, seed: number): number {
  let h = (FNV_OFFSET_BASIS ^ seed) >>> 0;
  for (let i = start; i < end; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return mix32(h);
}

/** Unsigned 32-bit hash of a whole string. */
export function hashString(text: string, seed = 0): number {
  return hashRange(text, 0, text.length, seed);
}
