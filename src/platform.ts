/** What the platform can tell a stream about the network and the page. */
export interface PlatformCallbacks {
  /** The browser says the network is gone. */
  offline(): void;
  /** The browser says the network is back. */
  online(): void;
  /** The page became visible again or was restored from the back/forward cache. */
  wake(): void;
}

type Target = {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
};

/**
 * Listens to `online`, `offline`, `visibilitychange` and `pageshow` where they exist (browsers,
 * workers) and does nothing elsewhere (Node). Returns the function that removes every listener.
 */
export function watchPlatform(callbacks: PlatformCallbacks): () => void {
  const scope = globalThis as unknown as Partial<Target> & { document?: Partial<Target> & { visibilityState?: string } };
  if (typeof scope.addEventListener !== 'function' || typeof scope.removeEventListener !== 'function') return () => {};
  // Keep the very targets and functions used to subscribe, so cleanup works whatever happens to globals later.
  const window: Target = { addEventListener: scope.addEventListener.bind(scope), removeEventListener: scope.removeEventListener.bind(scope) };
  const document = scope.document;
  const onOffline = (): void => callbacks.offline();
  const onOnline = (): void => callbacks.online();
  const onVisibility = (): void => {
    if (document?.visibilityState === 'visible') callbacks.wake();
  };
  const onPageShow = (): void => callbacks.wake();
  window.addEventListener('offline', onOffline);
  window.addEventListener('online', onOnline);
  window.addEventListener('pageshow', onPageShow);
  document?.addEventListener?.('visibilitychange', onVisibility);
  return () => {
    window.removeEventListener('offline', onOffline);
    window.removeEventListener('online', onOnline);
    window.removeEventListener('pageshow', onPageShow);
    document?.removeEventListener?.('visibilitychange', onVisibility);
  };
}

/** Runs `onAbort` when `signal` aborts (at once if it has); returns the function that stops listening. */
export function watchAbort(signal: AbortSignal | undefined, onAbort: () => void): () => void {
  if (signal === undefined) return () => {};
  if (signal.aborted) {
    onAbort();
    return () => {};
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

/**
 * Wires the page's signals to a stream, honouring `reconnectOnOffline`, `reconnectOnOnline` and
 * `checkOnWake`. Returns the function that removes every listener.
 */
export function watchNetwork(options: { readonly reconnectOnOffline: boolean; readonly reconnectOnOnline: boolean; readonly checkOnWake: boolean },
  host: NetworkHost): () => void {
  return watchPlatform({
    offline: () => {
      if (options.reconnectOnOffline) host.dropForOffline();
    },
    online: () => {
      if (options.reconnectOnOnline) host.redialSoon();
    },
    wake: () => {
      if (options.checkOnWake) host.checkLiveness();
      if (options.reconnectOnOnline) host.redialSoon();
    },
  });
}
