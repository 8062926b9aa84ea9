/** Seeded randomness: the emulator never calls Math.random. */
export type Rng = () => number;

/** mulberry32: tiny, fast, good enough for ids, jitter and fault probabilities. Returns [0, 1). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derive an independent stream seed from a base seed and a salt (string or number). */
export function deriveSeed(base: number, salt: string | number): number {
  let h = (base ^ 0x9e3779b9) >>> 0;
  const s = String(salt);
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

const HEX = '0123456789abcdef';

export function randomHex(rng: Rng, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out += HEX[(rng() * 16) | 0];
  }
  return out;
}

/** A version-4-shaped GUID made from the seeded stream. */
export function randomGuid(rng: Rng): string {
  const h = randomHex(rng, 32);
  const variant = HEX[8 + ((rng() * 4) | 0)];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
