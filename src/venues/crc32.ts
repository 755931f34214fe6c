/**
 * CRC-32 (ISO 3309 / ITU-T V.42, reflected polynomial 0xEDB88320, the zlib and PNG CRC), table
 * driven: one 256-entry table built once, one table step per byte. Kraken's book checksum is this
 * CRC over an ASCII string. Pure: no I/O.
 */

let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table !== undefined) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** The unsigned 32-bit CRC of an ASCII string (`crc32("123456789") === 0xCBF43926`). */
export function crc32(text: string): number {
  const t = crcTable();
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) crc = t[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
