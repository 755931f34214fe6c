/** An event map: event name -> listener signature, e.g. `{ open: (event: OpenEvent) => void }`. */
export type EventMap = object;
/** The event names of a map. */
export type EventNames<T extends EventMap> = keyof T & (string | symbol);
/** The listener of `event` in a map. */
export type EventListener<T extends EventMap, E extends keyof T> = (...args: ArgumentMap<T>[E]) => void;
type ArgumentMap<T extends EventMap> = { [E in keyof T]: T[E] extends (...args: infer A) => unknown ? A : unknown[] };

interface Listener {
  readonly fn: (...args: unknown[]) => void;
  readonly context: unknown;
  readonly once: boolean;
}
/**
 * One listener, or an array once an event has two (most events have one or none). Arrays are never
 * changed in place (adding or removing makes a new one), so an emit in progress needs no copy.
 */
type Slot = Listener | readonly Listener[];

/**
 * Listener storage: no inherited keys (an event may be called `constructor` or `__proto__`), yet a
 * plain constructed object that V8 keeps in fast mode, unlike `Object.create(null)`, which starts
 * as a dictionary (about 230 B more per emitter with a few events).
 */
const Slots = function Slots() {} as unknown as new () => object;
Slots.prototype = Object.create(null) as object;

/**
 * A typed event emitter (the eventemitter3 API: `on`/`addListener`, `once`, `off`/`removeListener`,
 * `removeAllListeners`, `emit`, `listeners`, `listenerCount`, `eventNames`, an optional `this` for
 * each listener) whose own events cannot be hurt by a listener: `emitSafe` runs every listener in its
 * own try/catch, hands a throw to `listenerFailed`, and the remaining listeners still get the event.
 * With one listener (the usual case on the message path) an event costs one lookup and one call.
 *
 * The storage is created on the first listener: an idle stream nobody listens to carries none.
 */
export class SafeEmitter<Events extends EventMap> {
  #slots: Record<string | symbol, Slot | undefined> | undefined;

  /** Called with whatever a listener threw (and `emitSafe`'s second argument); the default ignores it. */
  protected listenerFailed(_error: unknown, _event: string, _detail?: unknown): void {}

  /** Called with the emitter as `this` after a listener is added; private, so a subclass cannot override it by accident. */
  readonly #added: ((event: string | symbol) => void) | undefined;

  /** @param added - Called with the emitter as `this` after each listener is added (by `on`, `addListener` or `once`). */
  constructor(added?: (event: string | symbol) => void) {
    this.#added = added;
  }

  /** Adds `listener` for `event`, called with `context` as `this`. */
  on<E extends EventNames<Events>>(event: E, listener: EventListener<Events, E>, context?: unknown): this {
    return this.#add(event, listener, context, false);
  }

  /** The same as `on`. */
  addListener<E extends EventNames<Events>>(event: E, listener: EventListener<Events, E>, context?: unknown): this {
    return this.#add(event, listener, context, false);
  }

  /** Adds `listener` for the next `event` only. */
  once<E extends EventNames<Events>>(event: E, listener: EventListener<Events, E>, context?: unknown): this {
    return this.#add(event, listener, context, true);
  }

  /**
   * Removes the listeners of `event` that are `listener` (and were added with `context`, and with
   * `once()` when `once` is true); with no `listener`, every listener of `event`.
   */
  off<E extends EventNames<Events>>(event: E, listener?: EventListener<Events, E>, context?: unknown, once?: boolean): this {
    const slot = this.#slots?.[event];
    if (slot === undefined) return this;
    const kept = listener === undefined ? [] : (Array.isArray(slot) ? slot : [slot]).filter(
      (entry) => entry.fn !== listener || (once === true && !entry.once) || (context !== undefined && entry.context !== context),
    );
    this.#slots![event] = kept.length === 0 ? undefined : kept.length === 1 ? kept[0] : kept;
    return this;
  }

  /** The same as `off`. */
  removeListener<E extends EventNames<Events>>(event: E, listener?: EventListener<Events, E>, context?: unknown, once?: boolean): this {
    return this.off(event, listener, context, once);
  }

  /** Removes every listener of `event`, or of every event. */
  removeAllListeners(event?: EventNames<Events>): this {
    if (event === undefined) this.#slots = undefined;
    else if (this.#slots !== undefined) this.#slots[event] = undefined;
    return this;
  }

  /** Calls every listener of `event` with `args`; a throw propagates, as with any emitter. True if anyone listened. */
  emit<E extends EventNames<Events>>(event: E, ...args: Parameters<EventListener<Events, E>>): boolean {
    const slot = this.#slots?.[event];
    if (slot === undefined) return false;
    for (const entry of Array.isArray(slot) ? slot : [slot]) {
      if (entry.once) this.off(event, entry.fn as never, undefined, true);
      entry.fn.apply(entry.context, args);
    }
    return true;
  }

  /** The listener functions of `event`, in the order they were added. */
  listeners<E extends EventNames<Events>>(event: E): Array<EventListener<Events, E>> {
    const slot = this.#slots?.[event];
    return (slot === undefined ? [] : Array.isArray(slot) ? slot : [slot]).map((entry) => entry.fn as EventListener<Events, E>);
  }

  /** How many listeners `event` has. */
  listenerCount(event: EventNames<Events>): number {
    const slot = this.#slots?.[event];
    return slot === undefined ? 0 : Array.isArray(slot) ? slot.length : 1;
  }

  /** The events that have listeners. */
  eventNames(): Array<EventNames<Events>> {
    const slots = this.#slots;
    return slots === undefined ? [] : (Reflect.ownKeys(slots) as Array<EventNames<Events>>).filter((event) => slots[event] !== undefined);
  }

  /** Emits `event` with (`argument`, `detail`) to every listener, isolating throws. True if anyone listened. */
  protected emitSafe(event: string, argument: unknown, detail?: unknown): boolean {
    // The message path emits per frame, so every step down to the user's listener is kept small
    // enough for the JIT to inline it (its budget is in bytecode): the slot load then has a
    // constant key at each call site, and the listener itself can be inlined. The loop over several
    // listeners is out of line.
    const slot = this.#slots?.[event];
    if (slot === undefined) return false;
    if (Array.isArray(slot)) this.#callAll(slot as readonly Listener[], event, argument, detail);
    else this.#call(slot as Listener, event, argument, detail);
    return true;
  }

  #callAll(slot: readonly Listener[], event: string, argument: unknown, detail: unknown): void {
    for (const entry of slot) this.#call(entry, event, argument, detail);
  }

  #call(entry: Listener, event: string, argument: unknown, detail: unknown): void {
    if (entry.once) this.off(event as EventNames<Events>, entry.fn as never, undefined, true);
    try {
      if (detail === undefined) entry.fn.call(entry.context, argument);
      else entry.fn.call(entry.context, argument, detail);
    } catch (error) {
      this.listenerFailed(error, event, detail);
    }
  }

  #add(event: string | symbol, fn: unknown, context: unknown, once: boolean): this {
    if (typeof fn !== 'function') throw new TypeError(`Expected a listener function for '${String(event)}', got ${typeof fn}.`);
    const slots = (this.#slots ??= new Slots() as Record<string | symbol, Slot | undefined>);
    const entry: Listener = { fn: fn as Listener['fn'], context: context ?? this, once };
    const slot = slots[event];
    slots[event] = slot === undefined ? entry : Array.isArray(slot) ? [...slot, entry] : [slot, entry];
    this.#added?.call(this, event);
    return this;
  }
}

/** The public face of a {@link SafeEmitter}, for interfaces of objects that are one. */
export type Emitter<Events extends EventMap> = Pick<
  SafeEmitter<Events>,
  'on' | 'addListener' | 'once' | 'off' | 'removeListener' | 'removeAllListeners' | 'emit' | 'listeners' | 'listenerCount' | 'eventNames'
>;
