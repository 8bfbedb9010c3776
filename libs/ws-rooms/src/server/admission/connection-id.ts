import { randomFillSync } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** 22 characters of 64: 132 bits, of which 128 are random (the last character carries 2 bits). */
const ID_LENGTH = 22;
const RANDOM_BYTES = 16;
const pool = Buffer.allocUnsafe(RANDOM_BYTES * 64);
let poolOffset = pool.length;

/**
 * The default connection id: 128 bits from a cryptographic source, written as 22 characters of
 * `[A-Za-z0-9_-]` (base64url). As unguessable as a version 4 UUID (122 bits) and a third of the
 * Iris length (64 letters), which matters because ids ride on every `From:`, presence and recovery
 * frame. Iris-length ids remain available through `idGenerator` and `isConnectionId`.
 */
export function generateConnectionId(): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const id = pool.toString('base64url', poolOffset, poolOffset + RANDOM_BYTES);
  poolOffset += RANDOM_BYTES;
  return id;
}

/** True for a name of the default ids' shape: exactly 22 characters of `[A-Za-z0-9_-]`. */
export function isDefaultConnectionId(name: string): boolean {
  if (name.length !== ID_LENGTH) return false;
  for (let i = 0; i < ID_LENGTH; i++) {
    if (!ALPHABET.includes(name[i])) return false;
  }
  return true;
}
