import { EventEmitter } from 'eventemitter3';

type Listener = { fn: (...args: unknown[]) => void; context: unknown; once: boolean };
type Events = Record<string, Listener | Listener[] | undefined>;

/**
 * An eventemitter3 emitter whose listeners get two arguments (a member's payload and the member's
 * index) and cannot hurt each other: each runs in its own try/catch, a throw goes to
 * `listenerFailed`, the remaining listeners still get the event.
 *
 * The same storage read as SafeEmitter (`_events`, pinned eventemitter3 5.0.4), with a second
 * argument; SafeEmitter's `emitSafe` takes one. Fold this into SafeEmitter once it takes two.
 */
export class PoolEmitter<EventTypes extends EventEmitter.ValidEventTypes> extends EventEmitter<EventTypes> {
  /** Called with whatever a listener threw; the default ignores it. */
  protected listenerFailed(_error: unknown, _event: string, _index: number): void {}

  /** Emits `event` with (`payload`, `index`) to every listener, isolating throws. */
  protected emitPair(event: string, payload: unknown, index: number): void {
    const entry = (this as unknown as { _events: Events })._events[event];
    if (entry === undefined) return;
    // One listener, the usual case on the message path: no copy.
    if (!Array.isArray(entry)) return this.#call(entry, event, payload, index);
    // Copy first: a listener may add or remove listeners while we iterate.
    for (const listener of entry.slice()) this.#call(listener, event, payload, index);
  }

  #call(listener: Listener, event: string, payload: unknown, index: number): void {
    if (listener.once) this.removeListener(event as EventEmitter.EventNames<EventTypes>, listener.fn as never, undefined, true);
    try {
      listener.fn.call(listener.context, payload, index);
    } catch (error) {
      this.listenerFailed(error, event, index);
    }
  }
}
