import { describe, expect, it } from 'vitest';
import { ResilientStream, ResilientStreamError, type ResilientStreamOptions } from '../../src/index.js';
import { OPTION_NAMES } from '../../src/resolve-options.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const url = 'ws://127.0.0.1:9/';
const LONGEST_TIMER = 2 ** 31 - 1;

/** The RS_INVALID_OPTIONS message `options` is refused with (fails the test if they are accepted). */
function refusal(options: Record<string, unknown>): string {
  try {
    new ResilientStream({ url, ...options } as ResilientStreamOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(ResilientStreamError);
    expect((error as ResilientStreamError).code).toBe('RS_INVALID_OPTIONS');
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(options)}`);
}

describe('durations a timer cannot hold are refused at construction', () => {
  it.each([
    ['connectTimeoutMs', { connectTimeoutMs: LONGEST_TIMER + 1 }],
    ['resyncTimeoutMs', { resyncTimeoutMs: 25 * 24 * 3600 * 1000 }],
    ['closeTimeoutMs', { closeTimeoutMs: Infinity }],
    ['wakeJitterMs', { wakeJitterMs: 2 ** 40 }],
    ['staleAfterMs', { staleAfterMs: 2 ** 31 }],
    ['topicStaleAfterMs', { topicStaleAfterMs: 2 ** 31, topicOf: () => 'a' }],
    ['backoff.maxDelayMs', { backoff: { maxDelayMs: 25 * 24 * 3600 * 1000 } }],
    ['backoff.initialDelayMs', { backoff: { initialDelayMs: 2 ** 31 } }],
    ['backoff.resetAfterMs', { backoff: { resetAfterMs: Infinity } }],
    ['heartbeat.intervalMs', { heartbeat: { intervalMs: 2 ** 31 } }],
    ['heartbeat.timeoutMs', { heartbeat: { timeoutMs: 2 ** 31 } }],
    ['storm.windowMs', { storm: { windowMs: 2 ** 31 } }],
    ['storm.cooldownMs', { storm: { cooldownMs: 2 ** 31 } }],
    ['staleAfterMs.maxMs', { staleAfterMs: { auto: true, maxMs: 2 ** 31 } }],
    ['rotate.maxAgeMs', { rotate: { maxAgeMs: 2 ** 31 } }],
  ])('%s', (field, options) => {
    expect(refusal(options)).toMatch(new RegExp(`^Expected \`${field.replace('.', '\\.')}\` to be a finite number of ms from \\d+ to ${LONGEST_TIMER}, got `));
  });

  it('accepts the longest timer exactly, and Infinity where documented (maxAttempts, sendQueue.maxAgeMs)', () => {
    expect(() => new ResilientStream({ url, connectTimeoutMs: LONGEST_TIMER, backoff: { maxDelayMs: LONGEST_TIMER, maxAttempts: Infinity }, sendQueue: { maxAgeMs: Infinity } })).not.toThrow();
  });
});

describe('protocols, clientOptions and urls', () => {
  it.each([[null], [5], [() => 'x'], [{}], ['a b'], [['ok', 'ok']], [['ok', '']], [['ok', 'bad/token']]])('refuses protocols %j', (protocols) => {
    expect(refusal({ protocols })).toMatch(/^Expected `protocols` to be a sub-protocol token or an array of unique tokens/);
  });

  it('accepts a token and a list of unique tokens', () => {
    expect(() => new ResilientStream({ url, protocols: 'v1.json' })).not.toThrow();
    expect(() => new ResilientStream({ url, protocols: ['v2', 'v1'] })).not.toThrow();
  });

  it.each([[null], [5], ['headers'], [[]], [() => ({})], [new Map()]])('refuses clientOptions %j', (clientOptions) => {
    expect(refusal({ clientOptions })).toMatch(/^Expected `clientOptions` to be a plain object of ws options, got /);
  });

  it('refuses a url with a #fragment and a URL object with one', () => {
    expect(refusal({ url: 'wss://host/feed#x' })).toMatch(/#fragment/);
    expect(refusal({ url: new URL('wss://host/feed#x') })).toMatch(/#fragment/);
  });
});

describe('options that depend on each other', () => {
  it('backfill needs sequence (gaps are found by sequence)', () => {
    expect(refusal({ backfill: async () => [] })).toMatch(/^Expected `sequence` to be a function when `backfill` is given/);
    expect(() => new ResilientStream({ url, backfill: async () => [], sequence: () => 1 })).not.toThrow();
  });

  it('topicStaleAfterMs needs topicOf', () => {
    expect(refusal({ topicStaleAfterMs: 1000 })).toMatch(/^Expected `topicStaleAfterMs` to be false unless `topicOf` is given/);
    expect(() => new ResilientStream({ url, topicStaleAfterMs: 1000, topicOf: () => 'a' })).not.toThrow();
    expect(() => new ResilientStream({ url, topicStaleAfterMs: false })).not.toThrow();
  });
});

describe('backoff.outageFactor', () => {
  it('takes any number >= 0 (Infinity restores the attempt-only cap) and refuses the rest, naming the value', () => {
    for (const outageFactor of [0, 0.5, 3, Infinity]) expect(() => new ResilientStream({ url, backoff: { outageFactor } })).not.toThrow();
    expect(refusal({ backoff: { outageFactor: -1 } })).toBe('Expected `backoff.outageFactor` to be a number >= 0, got -1.');
    expect(refusal({ backoff: { outageFactor: Number.NaN } })).toBe('Expected `backoff.outageFactor` to be a number >= 0, got NaN.');
    expect(refusal({ backoff: { outageFactor: '3' } })).toBe('Expected `backoff.outageFactor` to be a number >= 0, got "3".');
  });
});

describe('unknown option keys', () => {
  it.each([
    [{ staleAfterMS: 10 }, 'Unknown option `staleAfterMS`; did you mean `staleAfterMs`?'],
    [{ conectTimeoutMs: 10 }, 'Unknown option `conectTimeoutMs`; did you mean `connectTimeoutMs`?'],
    [{ backoff: { maxDelay: 10 } }, 'Unknown option `backoff.maxDelay`; did you mean `backoff.maxDelayMs`?'],
    [{ heartbeat: { interval: 10 } }, 'Unknown option `heartbeat.interval`; did you mean `heartbeat.intervalMs`?'],
    [{ storm: { maxReconects: 3 } }, 'Unknown option `storm.maxReconects`; did you mean `storm.maxReconnects`?'],
    [{ sendQueue: { maxMesages: 3 } }, 'Unknown option `sendQueue.maxMesages`; did you mean `sendQueue.maxMessages`?'],
    [{ staleAfterMs: { auto: true, minMS: 1 } }, 'Unknown option `staleAfterMs.minMS`; did you mean `staleAfterMs.minMs`?'],
    [{ rateLimit: { messagesPerSec: 5 } }, 'Unknown option `rateLimit.messagesPerSec`; did you mean `rateLimit.messagesPerSecond`?'],
    [{ zzzz: 1 }, 'Unknown option `zzzz`.'],
  ])('refuses %j naming the key and the closest known one', (options, message) => {
    expect(refusal(options)).toBe(message);
  });

  it('OPTION_NAMES lists exactly the members of ResilientStreamOptions', () => {
    const source = readFileSync(join(import.meta.dirname, '..', '..', 'src', 'options.ts'), 'utf8');
    const start = source.indexOf('export interface ResilientStreamOptions');
    const body = source.slice(start, source.indexOf('\n}', start));
    const members = [...body.matchAll(/^\s+readonly (\w+)\??:/gm)].map((match) => match[1]);
    expect([...OPTION_NAMES].sort()).toEqual(members.sort());
  });
});
