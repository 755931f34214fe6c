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
