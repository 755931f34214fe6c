import { afterEach, describe, expect, it } from 'vitest';
import { watchNetwork, type NetworkHost } from '../../src/platform.js';

const ALL_ON = { reconnectOnOffline: true, reconnectOnOnline: true, checkOnWake: true };
const globals = globalThis as unknown as Record<string, unknown>;

function recordingHost(log: string[]): NetworkHost {
  return { dropForOffline: () => log.push('drop'), redialSoon: () => log.push('redial'), checkLiveness: () => log.push('check') };
}

/** A page stand-in: window events on one EventTarget, visibility on a document. */
function installPage() {
  const window = new EventTarget();
  const document = Object.assign(new EventTarget(), { visibilityState: 'visible' });
  globals.addEventListener = window.addEventListener.bind(window);
  globals.removeEventListener = window.removeEventListener.bind(window);
  globals.document = document;
  return { window, document };
}

afterEach(() => {
  delete globals.addEventListener;
  delete globals.removeEventListener;
  delete globals.document;
});

describe('watchNetwork', () => {
  it('allocates nothing where the platform has no page events (Node): every stream gets the same no-op', () => {
    const log: string[] = [];
    const a = watchNetwork(ALL_ON, recordingHost(log));
    const b = watchNetwork(ALL_ON, recordingHost(log));
    expect(a).toBe(b);
    a();
    expect(log).toEqual([]);
  });

  it('routes offline, online, pageshow and a visible visibilitychange; a hidden one does nothing', () => {
    const { window, document } = installPage();
    const log: string[] = [];
    watchNetwork(ALL_ON, recordingHost(log));
    window.dispatchEvent(new Event('offline'));
    window.dispatchEvent(new Event('online'));
    window.dispatchEvent(new Event('pageshow'));
    document.visibilityState = 'hidden';
    document.dispatchEvent(new Event('visibilitychange'));
    document.visibilityState = 'visible';
    document.dispatchEvent(new Event('visibilitychange'));
    expect(log).toEqual(['drop', 'redial', 'check', 'redial', 'check', 'redial']);
  });

  it('honours the opt-outs', () => {
    const { window } = installPage();
    const log: string[] = [];
    watchNetwork({ reconnectOnOffline: false, reconnectOnOnline: false, checkOnWake: false }, recordingHost(log));
    for (const type of ['offline', 'online', 'pageshow']) window.dispatchEvent(new Event(type));
    expect(log).toEqual([]);
  });

  it('stops listening when the returned function is called, even after the globals changed', () => {
    const { window, document } = installPage();
    const log: string[] = [];
    const unwatch = watchNetwork(ALL_ON, recordingHost(log));
    delete globals.removeEventListener;
    unwatch();
    for (const type of ['offline', 'online', 'pageshow']) window.dispatchEvent(new Event(type));
    document.dispatchEvent(new Event('visibilitychange'));
    expect(log).toEqual([]);
  });
});
