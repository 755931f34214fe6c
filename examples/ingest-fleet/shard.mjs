// Stable sharding: a topic belongs to worker `fnv1a(topic) % n`, the same answer in every process,
// on every machine and after every restart, so N workers split the topics with no coordinator.

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text` (http://www.isthe.com/chongo/tech/comp/fnv/). */
export function fnv1a(text) {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Parses `i/n` (0 <= i < n). */
export function parseShard(text) {
  const match = /^(\d+)\/(\d+)$/.exec(text ?? '');
  const [index, count] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!(count >= 1 && index >= 0 && index < count)) throw new TypeError(`Expected --shard i/n with 0 <= i < n, got ${JSON.stringify(text)}.`);
  return { index, count };
}

/** The topics shard `index` of `count` owns. */
export function topicsOf(topics, { index, count }) {
  return topics.filter((topic) => fnv1a(topic) % count === index);
}
