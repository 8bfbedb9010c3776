/** Number of hash slots of a Redis Cluster. */
export const CLUSTER_SLOTS = 16384;

/** CRC16/XMODEM (polynomial 0x1021), as Redis Cluster uses it for key slots. */
const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

function crc16(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++)
    crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]) & 0xff];
  return crc;
}

/**
 * The hash slot of a key or a sharded channel, by Redis Cluster's rule: when the name holds a `{`
 * followed later by a `}` with at least one byte between them, only those bytes (the hash tag)
 * are hashed; otherwise the whole name. Computed over the UTF-8 bytes, as Redis sees them.
 */
export function keySlot(name: string): number {
  const bytes = Buffer.from(name);
  const open = bytes.indexOf(0x7b);
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) return crc16(bytes, open + 1, close) % CLUSTER_SLOTS;
  }
  return crc16(bytes, 0, bytes.length) % CLUSTER_SLOTS;
}
