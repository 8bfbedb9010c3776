import { randomFillSync } from 'node:crypto';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ID_LENGTH = 64;
// 256 is not a multiple of 52: bytes at or above 208 (4 * 52) are skipped so every letter is equally likely.
const UNBIASED_LIMIT = 208;
const pool = Buffer.allocUnsafe(256);
let poolOffset = pool.length;

function nextRandomByte(): number {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  return pool[poolOffset++];
}

/** The default connection id: 64 letters `[A-Za-z]` drawn without bias from a cryptographic source. */
export function generateConnectionId(): string {
  let id = '';
  while (id.length < ID_LENGTH) {
    const byte = nextRandomByte();
    if (byte < UNBIASED_LIMIT) id += LETTERS[byte % 52];
  }
  return id;
}
