import type { EventEmitter } from 'node:events';

/**
 * Promise helpers that resolve when a condition on the server becomes true, with a timeout
 * whose message says what was expected and what was got. Every pending wait is rejected when the
 * server closes, so no timer outlives it.
 */
export class Waiters {
  readonly #pending = new Set<(error: Error) => void>();

  /**
   * Resolves with the first defined value of `probeNow()` or, later, of `probeEvent(arg)` for
   * each `event` the emitter fires.
   */
  wait<T, A>(
    emitter: EventEmitter,
    event: string,
    probeNow: () => T | undefined,
    probeEvent: (arg: A) => T | undefined,
    timeoutMs: number,
    describeFailure: () => string,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const now = probeNow();
      if (now !== undefined) {
        resolve(now);
        return;
      }
      const finish = (): void => {
        clearTimeout(timer);
        emitter.off(event, onEvent);
        this.#pending.delete(cancel);
      };
      const onEvent = (arg: A): void => {
        const value = probeEvent(arg);
        if (value === undefined) return;
        finish();
        resolve(value);
      };
      const cancel = (error: Error): void => {
        finish();
        reject(error);
      };
      const timer = setTimeout(() => cancel(new Error(describeFailure())), timeoutMs);
      emitter.on(event, onEvent);
      this.#pending.add(cancel);
    });
  }

  /** Rejects every pending wait (the server is closing). */
  rejectAll(error: Error): void {
    for (const cancel of [...this.#pending]) cancel(error);
  }
}
