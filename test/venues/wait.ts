import { sleep } from '../helpers/events.js';

/** Polls `probe` until it is true; rejects after `timeoutMs`. */
export async function waitFor(probe: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`Expected the condition within ${timeoutMs} ms.`);
    await sleep(10);
  }
}
