import { EventEmitter } from 'eventemitter3';

type Listener = { fn: (...args: unknown[]) => void; context: unknown; once: boolean };
type Events = Record<string, Listener | Listener[] | undefined>;

/**
 * An eventemitter3 emitter whose listeners cannot hurt each other or the emitter: every listener
 * runs inside its own try/catch, a throw is handed to `listenerFailed` and the remaining listeners
 * still get the event. With one listener (the common case on the message path) it costs one
 * property read and one call, the same as eventemitter3's own emit.
 *
 * This reads eventemitter3's listener storage (`_events`, stable across its v4 and v5 releases;
 * the version is pinned and test/unit/safe-emitter.test.ts pins the behaviour).
 */
export class SafeEmitter<EventTypes extends EventEmitter.ValidEventTypes> extends EventEmitter<EventTypes> {
  /** Called with whatever a listener threw; the default ignores it. */
  protected listenerFailed(_error: unknown, _event: string): void {}

  /** Emits `event` with one argument to every listener, isolating throws. Returns true if anyone listened. */
  protected emitSafe(event: string, argument: unknown): boolean {
    const entry = (this as unknown as { _events: Events })._events[event];
    if (entry === undefined) return false;
    if (!Array.isArray(entry)) {
      // One listener, the usual case on the message path: no copy, no extra call.
      if (entry.once) this.removeListener(event as EventEmitter.EventNames<EventTypes>, entry.fn as never, undefined, true);
      try {
        entry.fn.call(entry.context, argument);
      } catch (error) {
        this.listenerFailed(error, event);
      }
      return true;
    }
    // Copy first: a listener may add or remove listeners while we iterate.
    for (const listener of entry.slice()) this.#call(listener, event, argument);
    return true;
  }

  #call(listener: Listener, event: string, argument: unknown): void {
    if (listener.once) this.removeListener(event as EventEmitter.EventNames<EventTypes>, listener.fn as never, undefined, true);
    try {
      listener.fn.call(listener.context, argument);
    } catch (error) {
      this.listenerFailed(error, event);
    }
  }
}
