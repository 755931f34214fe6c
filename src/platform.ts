type Target = {
  addEventListener(type: string, listener: EventListenerObject): void;
  removeEventListener(type: string, listener: EventListenerObject): void;
};
type Scope = Partial<Target> & { document?: Partial<Target> & { visibilityState?: string } };

const NOOP = (): void => {};
const WINDOW_EVENTS = ['offline', 'online', 'pageshow'] as const;

/** Runs `onAbort` when `signal` aborts (at once if it has); returns the function that stops listening. */
export function watchAbort(signal: AbortSignal | undefined, onAbort: () => void): () => void {
  if (signal === undefined) return NOOP;
  if (signal.aborted) {
    onAbort();
    return NOOP;
  }
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/** What a stream does about the platform's signals (see {@link watchNetwork}). */
export interface NetworkHost {
  /** The network is gone: drop the live socket as a requested end and wait for `online`. */
  dropForOffline(): void;
  /** Cut a backoff wait short (after wake jitter). */
  redialSoon(): void;
  /** Check every liveness deadline now. */
  checkLiveness(): void;
}

type NetworkOptions = { readonly reconnectOnOffline: boolean; readonly reconnectOnOnline: boolean; readonly checkOnWake: boolean };

/**
 * One stream's listener for `online`, `offline`, `visibilitychange` and `pageshow`: a single
 * object whose `handleEvent` serves every event (no closure per event and stream).
 */
class NetworkWatch implements EventListenerObject {
  readonly #options: NetworkOptions;
  readonly #host: NetworkHost;
  readonly #document: Scope['document'];

  constructor(options: NetworkOptions, host: NetworkHost, document: Scope['document']) {
    this.#options = options;
    this.#host = host;
    this.#document = document;
  }

  handleEvent(event: Event): void {
    const options = this.#options;
    switch (event.type) {
      case 'offline':
        if (options.reconnectOnOffline) this.#host.dropForOffline();
        return;
      case 'online':
        if (options.reconnectOnOnline) this.#host.redialSoon();
        return;
      case 'visibilitychange':
        if (this.#document?.visibilityState === 'visible') this.#wake();
        return;
      case 'pageshow':
        this.#wake();
    }
  }

  /** The page became visible again or was restored from the back/forward cache. */
  #wake(): void {
    if (this.#options.checkOnWake) this.#host.checkLiveness();
    if (this.#options.reconnectOnOnline) this.#host.redialSoon();
  }
}

/**
 * Wires the page's signals (`online`, `offline`, `visibilitychange`, `pageshow`) to a stream where
 * they exist (browsers, workers), honouring `reconnectOnOffline`, `reconnectOnOnline` and
 * `checkOnWake`; does nothing and allocates nothing elsewhere (Node). Returns the function that
 * removes every listener.
 */
export function watchNetwork(options: NetworkOptions, host: NetworkHost): () => void {
  const scope = globalThis as unknown as Scope;
  const { addEventListener: add, removeEventListener: remove, document } = scope;
  if (typeof add !== 'function' || typeof remove !== 'function') return NOOP;
  // Keep the very functions used to subscribe, so cleanup works whatever happens to globals later.
  const watch = new NetworkWatch(options, host, document);
  for (const type of WINDOW_EVENTS) add.call(scope, type, watch);
  document?.addEventListener?.('visibilitychange', watch);
  return () => {
    for (const type of WINDOW_EVENTS) remove.call(scope, type, watch);
    document?.removeEventListener?.('visibilitychange', watch);
  };
}
