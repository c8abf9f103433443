// A small seeded PRNG (mulberry32) so fault injection is reproducible in tests; without a seed
// it is seeded from crypto, so separate runs still differ.
import { randomInt } from 'node:crypto';

export type Random = () => number;

export function createRandom(seed?: number): Random {
  let state = (seed ?? randomInt(2 ** 32 - 1)) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
