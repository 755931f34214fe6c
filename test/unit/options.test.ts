import { describe, expect, it } from 'vitest';
import { DEFAULTS, ResilientStream, ResilientStreamError } from '../../src/index.js';
import fc from 'fast-check';
import { OPTION_NAMES, resolveOptions } from '../../src/resolve-options.js';

const url = 'ws://127.0.0.1:1/';

function messageOf(options: Record<string, unknown>): string {
  try {
    resolveOptions(options as never);
  } catch (error) {
    expect(error).toBeInstanceOf(ResilientStreamError);
    expect((error as ResilientStreamError).code).toBe('RS_INVALID_OPTIONS');
    return (error as Error).message;
  }
  throw new Error('expected resolveOptions to throw');
}

describe('resolveOptions', () => {
  it('fills every default and freezes the result', () => {
    const resolved = resolveOptions({ url });
    expect(resolved.connectTimeoutMs).toBe(10_000);
    expect(resolved.maxMessageBytes).toBe(16 * 1024 * 1024);
    expect(resolved.staleAfterMs).toEqual({ mode: 'fixed', ms: 30_000 });
    expect(resolved.topicStaleAfterMs).toBe(false);
    expect(resolved.heartbeat).toEqual({ intervalMs: 15_000, timeoutMs: 10_000 });
    expect(resolved.backoff).toEqual({ initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, outageFactor: 3, jitter: 'full', maxAttempts: Infinity, resetAfterMs: 5_000 });
    expect(resolved.storm).toEqual({ maxReconnects: 5, windowMs: 60_000, cooldownMs: 0 });
    expect(resolved.sendQueue).toEqual({ maxMessages: 100, maxAgeMs: 10_000 });
    expect(resolved.resyncTimeoutMs).toBe(30_000);
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(Object.isFrozen(DEFAULTS)).toBe(true);
  });

  it('merges partial option groups with their defaults', () => {
    const resolved = resolveOptions({ url, backoff: { factor: 3 }, heartbeat: { timeoutMs: 1 }, storm: { windowMs: 10 }, sendQueue: { maxMessages: 5 } });
    expect(resolved.backoff).toMatchObject({ initialDelayMs: 500, factor: 3 });
    expect(resolved.heartbeat).toMatchObject({ intervalMs: 15_000, timeoutMs: 1 });
    expect(resolved.storm).toMatchObject({ maxReconnects: 5, windowMs: 10 });
    expect(resolved.sendQueue).toMatchObject({ maxMessages: 5, maxAgeMs: 10_000 });
  });

  it('accepts false for the features that can be disabled', () => {
    const resolved = resolveOptions({ url, staleAfterMs: false, heartbeat: false, storm: false, sendQueue: false });
    expect(resolved.staleAfterMs).toEqual({ mode: 'off' });
    expect(resolved.heartbeat).toBe(false);
    expect(resolved.storm).toBe(false);
    expect(resolved.sendQueue).toBe(false);
  });

  it('resolves adaptive staleness with defaults', () => {
    expect(resolveOptions({ url, staleAfterMs: { auto: true, minMs: 100 } }).staleAfterMs).toEqual({
      mode: 'auto', minMs: 100, maxMs: 300_000, multiplier: 3, quantile: 0.99, warmupSamples: 50,
    });
  });

  it.each([
    [{ backoff: { factor: 0 } }, 'Expected `backoff.factor` to be a finite number >= 1, got 0.'],
    [{ backoff: { maxDelayMs: 10, initialDelayMs: 100 } }, 'Expected `backoff.maxDelayMs` to be a finite number of ms from 100 to 2147483647, got 10.'],
    [{ backoff: { jitter: 'random' } }, "Expected `backoff.jitter` to be one of 'full', 'equal', 'decorrelated', 'none', got \"random\"."],
    [{ backoff: { maxAttempts: 1.5 } }, 'Expected `backoff.maxAttempts` to be an integer >= 0, got 1.5.'],
    [{ staleAfterMs: 0 }, 'Expected `staleAfterMs` to be a finite number of ms from 1 to 2147483647, got 0.'],
    [{ staleAfterMs: true }, 'Expected `staleAfterMs` to be a number, false or {auto: true, ...}, got true.'],
    [{ staleAfterMs: { auto: true, quantile: 1 } }, 'Expected `staleAfterMs.quantile` to be a number between 0 and 1 (exclusive), got 1.'],
    [{ heartbeat: { intervalMs: -1 } }, 'Expected `heartbeat.intervalMs` to be a finite number of ms from 1 to 2147483647, got -1.'],
    [{ heartbeat: { ping: 'ping' } }, 'Expected `heartbeat.ping` to be a function, got "ping".'],
    [{ connectTimeoutMs: Number.NaN }, 'Expected `connectTimeoutMs` to be a finite number of ms from 1 to 2147483647, got NaN.'],
    [{ topics: ['a', ''] }, 'Expected `topics` to be an array of non-empty strings, got ["a",""].'],
    [{ storm: { maxReconnects: 0 } }, 'Expected `storm.maxReconnects` to be an integer >= 1, got 0.'],
    [{ sendQueue: { maxMessages: 0 } }, 'Expected `sendQueue.maxMessages` to be an integer >= 1, got 0.'],
    [{ decode: 'json' }, 'Expected `decode` to be a function, got "json".'],
    [{ reconnectOnOffline: 'yes' }, 'Expected `reconnectOnOffline` to be a boolean, got "yes".'],
    [{ clock: { now: () => 0 } }, 'Expected `clock.setTimeout` to be a function, got undefined.'],
    [{ connectTimeoutMs: null }, 'Expected `connectTimeoutMs` to be a finite number of ms from 1 to 2147483647, got null.'],
    [{ maxTopicsPerMessage: null }, 'Expected `maxTopicsPerMessage` to be an integer >= 1, got null.'],
    [{ iteratorOverflow: 'drop' }, "Expected `iteratorOverflow` to be one of 'pause', 'error', got \"drop\"."],
    [{ rateLimit: { burst: 5 } }, 'Expected `rateLimit.messagesPerSecond` to be a finite number per second of at least one per 24.8 days (4.7e-7, the longest timer), got undefined.'],
    [{ rateLimit: { messagesPerSecond: 1e-300 } }, 'Expected `rateLimit.messagesPerSecond` to be a finite number per second of at least one per 24.8 days (4.7e-7, the longest timer), got 1e-300.'],
    [{ rateLimit: 5 }, 'Expected `rateLimit` to be false or {messagesPerSecond, burst?, countControlFrames?}, got 5.'],
    [{ backoff: false }, 'Expected `backoff` to be an object, got false.'],
    [{ rotate: { overlapMs: 0 } }, 'Expected `rotate.overlapMs` to be a finite number of ms from 1 to 2147483647, got 0.'],
    [{ staleAfterMs: { auto: true, minMs: 500, maxMs: 100 } }, 'Expected `staleAfterMs.maxMs` to be a finite number of ms from 500 to 2147483647, got 100.'],
  ])('rejects %j with a message naming the field and value', (options, message) => {
    expect(messageOf({ url, ...options })).toBe(message);
  });

  it('treats only undefined as "use the default"; null is refused like any other wrong type', () => {
    expect(resolveOptions({ url, connectTimeoutMs: undefined, heartbeat: undefined, reconnectOnOffline: undefined }).connectTimeoutMs).toBe(10_000);
    for (const key of ['connectTimeoutMs', 'maxMessageBytes', 'resyncTimeoutMs', 'resyncBufferSize', 'wakeJitterMs', 'iteratorBufferSize',
      'closeTimeoutMs', 'maxTopicsPerMessage', 'iteratorOverflow', 'reconnectOnOffline', 'heartbeat', 'backoff', 'storm', 'sendQueue', 'staleAfterMs']) {
      expect(messageOf({ url, [key]: null })).toMatch(new RegExp(`^Expected \`${key}\` to be .*, got null\\.$`));
    }
  });

  it('options whose getters or Proxy traps throw are refused with RS_INVALID_OPTIONS, the throw as cause', () => {
    const cause = new Error('getter');
    const withGetter = { get url(): string { throw cause; } };
    expect(messageOf(withGetter)).toBe('Expected options that can be read, but reading them threw: getter');
    const proxy = new Proxy({ url }, { ownKeys: () => { throw Symbol('trap'); } });
    expect(messageOf(proxy)).toBe('Expected options that can be read, but reading them threw: Symbol(trap)');
    expect(() => resolveOptions(withGetter as never)).toThrow(expect.objectContaining({ cause }));
  });

  it('resolves rate limits and rotation with their defaults', () => {
    expect(resolveOptions({ url, rateLimit: { messagesPerSecond: 0.5 } }).rateLimit).toEqual({ messagesPerSecond: 0.5, burst: 1, countControlFrames: true });
    expect(resolveOptions({ url, rateLimit: { messagesPerSecond: 10, countControlFrames: false } }).rateLimit).toEqual({ messagesPerSecond: 10, burst: 10, countControlFrames: false });
    expect(resolveOptions({ url, rotate: { maxAgeMs: 1000 } }).rotate).toEqual({ maxAgeMs: 1000, overlapMs: 10_000 });
    expect(resolveOptions({ url, rotate: false }).rotate).toBe(false);
  });

  it('shares the default option groups between streams instead of copying them', () => {
    const a = resolveOptions({ url });
    const b = resolveOptions({ url: 'ws://127.0.0.1:2/', backoff: { factor: 3 } });
    expect(a.heartbeat).toBe(b.heartbeat);
    expect(a.storm).toBe(DEFAULTS.storm);
    expect(Object.keys(a)).toEqual(['url']);
    expect(Object.keys(b).sort()).toEqual(['backoff', 'url']);
  });

  it('rejects bad urls without echoing them (they may hold secrets)', () => {
    const expected = 'Expected `url` to be an absolute ws:, wss:, http: or https: URL without a #fragment';
    expect(messageOf({ url: 'not a url?token=secret' })).toBe(`${expected}, got "[an unparsable url]".`);
    expect(messageOf({ url: 'ftp://host/?token=secret' })).toBe(`${expected}, got "[a ftp: url]".`);
    expect(messageOf({ url: 'wss://host/feed?token=secret#top' })).toBe(`${expected}, got "[a url with a #fragment (WebSocket urls cannot have one)]".`);
    expect(messageOf({ url: 42 })).toBe('Expected `url` to be a string, URL or function, got 42.');
  });

  it('the constructor throws RS_INVALID_OPTIONS', () => {
    expect(() => new ResilientStream({ url, backoff: { factor: 0.5 } })).toThrowError(
      expect.objectContaining({ code: 'RS_INVALID_OPTIONS' }),
    );
  });
});

describe('resolveOptions on anything', () => {
  it('either resolves a frozen result or throws RS_INVALID_OPTIONS, whatever the value of any option', () => {
    const key = fc.constantFrom(...OPTION_NAMES, 'bogus', '__proto__', 'constructor');
    fc.assert(fc.property(fc.dictionary(key, fc.anything({ withNullPrototype: true, withBigInt: true, withMap: true, withSet: true, withTypedArray: true }), { maxKeys: 4 }), (extra) => {
      try {
        const resolved = resolveOptions({ url, ...extra } as never);
        expect(Object.isFrozen(resolved)).toBe(true);
      } catch (error) {
        expect(error).toBeInstanceOf(ResilientStreamError);
        expect((error as ResilientStreamError).code).toBe('RS_INVALID_OPTIONS');
        expect(typeof (error as Error).message).toBe('string');
      }
    }), { numRuns: 2_000 });
  });
});
