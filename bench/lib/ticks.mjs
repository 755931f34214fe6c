// Binance-like trade ticks, pre-framed as unmasked WebSocket text frames so the server side of the
// throughput benchmark costs almost nothing: it only stamps fresh trade ids into a ready batch.

/** First trade id; 10 digits (as on Binance today), so every id has the same width and can be stamped in place. */
export const FIRST_TRADE_ID = 3_000_000_000;
const ID_WIDTH = 10;
const EVENT_TIME = 1_672_515_782_136;

/** One trade tick as JSON text (~120 bytes), following Binance's `<symbol>@trade` payload. */
export function tradeText(index, id) {
  const price = (16_843.21 + (index % 97) * 0.01).toFixed(2);
  const qty = (0.012 + (index % 13) * 0.001).toFixed(3);
  const time = EVENT_TIME + index;
  return `{"e":"trade","E":${time},"s":"BTCUSDT","t":${id},"p":"${price}","q":"${qty}","T":${time},"m":${index % 3 === 0},"M":true}`;
}

/** A server-to-client text frame header (FIN + opcode 1, no mask) for a payload of `length` bytes. */
function frameHeader(length) {
  if (length < 126) return Buffer.from([0x81, length]);
  if (length < 65_536) return Buffer.from([0x81, 126, length >> 8, length & 0xff]);
  throw new RangeError(`Expected a tick shorter than 64 KiB, got ${length} bytes`);
}

/**
 * A batch of `count` framed ticks plus where each tick's trade id sits, so a sender can stamp new
 * ids into a copy of the batch (`stampIds`) instead of building JSON per message.
 */
export function buildBatch(count) {
  const parts = [];
  const idOffsets = new Int32Array(count);
  const frameEnds = new Int32Array(count);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const text = tradeText(i, FIRST_TRADE_ID + i);
    const payload = Buffer.from(text, 'latin1');
    const header = frameHeader(payload.length);
    idOffsets[i] = offset + header.length + text.indexOf('"t":') + 4;
    parts.push(header, payload);
    offset += header.length + payload.length;
    frameEnds[i] = offset;
  }
  const averagePayloadBytes = Math.round(parts.filter((_, i) => i % 2 === 1).reduce((sum, p) => sum + p.length, 0) / count);
  return { template: Buffer.concat(parts), idOffsets, frameEnds, averagePayloadBytes };
}

/** Writes ids `firstId`, `firstId + 1`, ... into the first `count` ticks of `buffer`. */
export function stampIds(buffer, idOffsets, firstId, count) {
  for (let i = 0; i < count; i++) buffer.latin1Write(String(firstId + i), idOffsets[i], ID_WIDTH);
}
