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
  const target = globalThis as unknown as Partial<Target> & { document?: Partial<Target> & { visibilityState?: string } };
  if (typeof target.addEventListener !== 'function' || typeof target.removeEventListener !== 'function') return () => {};
  const onOffline = (): void => callbacks.offline();
  const onOnline = (): void => callbacks.online();
  const onVisibility = (): void => {
    if (target.document?.visibilityState === 'visible') callbacks.wake();
  };
  const onPageShow = (): void => callbacks.wake();
  target.addEventListener('offline', onOffline);
  target.addEventListener('online', onOnline);
  target.addEventListener('pageshow', onPageShow);
  target.document?.addEventListener?.('visibilitychange', onVisibility);
  return () => {
    target.removeEventListener!('offline', onOffline);
    target.removeEventListener!('online', onOnline);
    target.removeEventListener!('pageshow', onPageShow);
    target.document?.removeEventListener?.('visibilitychange', onVisibility);
  };
}
