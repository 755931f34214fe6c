import { describe, expect, it } from 'vitest';
import type { ConnectionEnd } from '../../src/connection-end.js';
import { ResilientStreamError } from '../../src/errors.js';
import type { StormEvent } from '../../src/events.js';
import { Redialer, type RedialPlan, type StormCounter } from '../../src/redialer.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { constant } from '../helpers/random.js';

// outageFactor Infinity: these tests see the attempt-count cap alone (the clock rarely moves);
// the outage bound has its own tests below.
const BACKOFF = { initialDelayMs: 100, maxDelayMs: 1_000, factor: 2, outageFactor: Infinity, jitter: 'full' as const, maxAttempts: 3, resetAfterMs: 5_000 };
const fault = (message = 'lost'): ConnectionEnd => ({ kind: 'lost', code: 1006, error: new ResilientStreamError('RS_CONNECT_FAILED', message) });
const dialFailed = (retryAfterMs?: number): ConnectionEnd => ({
  kind: 'dial-failed', report: true,
  error: new ResilientStreamError('RS_HANDSHAKE_REJECTED', 'refused', retryAfterMs === undefined ? {} : { status: 429, retryAfterMs }),
});
const requested: ConnectionEnd = { kind: 'requested', code: 4000, reason: 'reconnect() called', waitMs: 0 };

/** Lets the attempt loop's promise chain run after a timer fired or a dial settled. */
const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

function setup(options: { random?: () => number; backoff?: Partial<typeof BACKOFF>; cooldownMs?: number; stormAt?: number } = {}) {
  const clock = new FakeClock(0);
  const dials: Array<{ attempt: number; at: number }> = [];
  const storm: StormCounter & { attempts: number; failures: number; healthyCalls: number } = {
    attempts: 0, failures: 0, healthyCalls: 0,
    attempt(): StormEvent | undefined {
      this.attempts++;
      return this.attempts === options.stormAt ? { reconnects: this.attempts, windowMs: 1, recentFailures: [], sinceHealthyMs: null } : undefined;
    },
    cooldownMs: () => options.cooldownMs ?? 0,
    failed() { this.failures++; },
    healthy() { this.healthyCalls++; },
  };
  const errors: Error[] = [];
  const redialer = new Redialer({ backoff: { ...BACKOFF, ...options.backoff }, random: options.random ?? constant(0.5), clock, wakeJitterMs: 200 },
    storm, { dial: (attempt) => dials.push({ attempt, at: clock.now() }), error: (error) => errors.push(error) });
  return { clock, dials, storm, redialer, errors };
}

describe('Redialer', () => {
  it('start() dials attempt 0 at once; a failed dial waits its full-jitter delay, then dials attempt 1', async () => {
    const { clock, dials, redialer } = setup();
    redialer.start();
    await flush();
    expect(dials).toEqual([{ attempt: 0, at: 0 }]);
    const plan = redialer.plan(dialFailed(), false, undefined);
    expect(plan).toMatchObject({ retry: true, attempt: 1, delayMs: 50 }); // uniform[0, 100] at 0.5
    redialer.follow(plan as Extract<RedialPlan, { retry: true }>);
    await flush();
    clock.advance(49);
    await flush();
    expect(dials).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(dials).toEqual([{ attempt: 0, at: 0 }, { attempt: 1, at: 50 }]);
  });

  it('the cap grows by factor per unrequested end and stops at maxDelayMs; the attempt after maxAttempts gives up', () => {
    const { redialer } = setup({ random: constant(0.999_999), backoff: { maxAttempts: 6 } });
    redialer.start();
    const delays = [1, 2, 3, 4, 5, 6].map(() => Math.round((redialer.plan(fault(), false, undefined) as { delayMs: number }).delayMs));
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    const last = redialer.plan(fault('still down'), false, undefined);
    expect(last).toMatchObject({ retry: false });
    expect((last as { error: ResilientStreamError }).error).toMatchObject({ code: 'RS_RETRIES_EXHAUSTED' });
    expect((last as { error: ResilientStreamError }).error.message).toContain('still down');
    redialer.stop();
  });

  it('requested ends never count: no attempt, no storm, no failure note, the requested wait', () => {
    const { redialer, storm } = setup({ backoff: { maxAttempts: 0 } });
    redialer.start();
    for (let i = 0; i < 5; i++) expect(redialer.plan(requested, false, undefined)).toMatchObject({ retry: true, attempt: 0, delayMs: 0 });
    expect(redialer.plan({ ...requested, waitMs: 1_000 }, false, undefined)).toMatchObject({ delayMs: 1_000 });
    expect(storm).toMatchObject({ attempts: 0, failures: 0 });
    expect(redialer.attempt).toBe(0);
    redialer.stop();
  });

  it('a healthy connection resets the count before this end is counted', () => {
    const { redialer, storm } = setup();
    redialer.start();
    redialer.plan(fault(), false, undefined);
    redialer.plan(fault(), false, undefined);
    expect(redialer.attempt).toBe(2);
    expect(redialer.plan(fault(), true, undefined)).toMatchObject({ attempt: 1 });
    expect(storm.healthyCalls).toBe(1);
    redialer.stop();
  });

  it('a refusal gives up whatever the attempt count', () => {
    const { redialer } = setup();
    redialer.start();
    const refusal = new ResilientStreamError('RS_FATAL_CLOSE', 'no');
    expect(redialer.plan(fault(), false, refusal)).toEqual({ retry: false, error: refusal });
    redialer.stop();
  });

  it('Retry-After is a floor, capped by maxDelayMs; the storm cooldown is added; the alert rides on the plan', () => {
    const { redialer } = setup({ cooldownMs: 300, stormAt: 2 });
    redialer.start();
    expect(redialer.plan(dialFailed(700), false, undefined)).toMatchObject({ delayMs: 700 });
    const second = redialer.plan(dialFailed(60_000), false, undefined);
    expect(second).toMatchObject({ delayMs: 1_000, storm: { reconnects: 2 } });
    expect(redialer.plan(dialFailed(), false, undefined)).toMatchObject({ delayMs: 200 + 300 });
    redialer.stop();
  });

  it('skip() cuts a wait short; skip() with no wait makes the next one zero', async () => {
    const { clock, dials, redialer } = setup();
    redialer.start();
    await flush();
    redialer.follow(redialer.plan(fault(), false, undefined) as Extract<RedialPlan, { retry: true }>);
    await flush();
    redialer.skip();
    await flush();
    expect(dials.map((dial) => dial.at)).toEqual([0, 0]);
    redialer.skip();
    expect(redialer.plan(fault(), false, undefined)).toMatchObject({ delayMs: 0 });
    clock.advance(0);
    redialer.stop();
  });

  it('wake() during a wait dials after at most wakeJitterMs; during a dial it shortens that dial\'s retry', async () => {
    const { clock, dials, redialer } = setup({ backoff: { initialDelayMs: 1_000, maxDelayMs: 1_000, jitter: 'none' as never } });
    redialer.start();
    await flush();
    redialer.follow(redialer.plan(fault(), false, undefined) as Extract<RedialPlan, { retry: true }>);
    await flush();
    redialer.wake();
    clock.advance(100); // 0.5 x 200
    await flush();
    expect(dials.map((dial) => dial.at)).toEqual([0, 100]);
    redialer.wake(); // the dial at 100 is in flight
    expect(redialer.plan(fault(), false, undefined)).toMatchObject({ delayMs: 100 });
    redialer.stop();
  });

  it('stop() supersedes the loop: a pending wait never dials, no timer is left', async () => {
    const { clock, dials, redialer } = setup();
    redialer.start();
    await flush();
    redialer.follow(redialer.plan(fault(), false, undefined) as Extract<RedialPlan, { retry: true }>);
    await flush();
    redialer.stop();
    await flush();
    clock.advance(10_000);
    await flush();
    expect(dials).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  it('a new start() supersedes the old loop: the old loop never dials again', async () => {
    const { clock, dials, redialer } = setup();
    redialer.start();
    await flush();
    redialer.follow(redialer.plan(fault(), false, undefined) as Extract<RedialPlan, { retry: true }>);
    await flush();
    redialer.start();
    await flush();
    clock.advance(10_000);
    await flush();
    expect(dials.map((dial) => dial.attempt)).toEqual([0, 0]);
    expect(redialer.attempt).toBe(0);
  });

  it('a plan followed and stop() in the same tick: the loop never arms its wait nor dials again', async () => {
    const { clock, dials, redialer } = setup();
    redialer.start();
    await flush();
    redialer.follow(redialer.plan(fault(), false, undefined) as Extract<RedialPlan, { retry: true }>);
    redialer.stop();
    await flush();
    expect(clock.pending).toBe(0);
    clock.advance(10_000);
    await flush();
    expect(dials).toHaveLength(1);
  });

  it.each([
    ['throws', () => { throw new Error('seam broke'); }, /^random threw: seam broke; drew from Math\.random instead\.$/],
    ['returns NaN', () => Number.NaN, /^Expected random\(\) to return a number in \[0, 1\), got NaN; drew from Math\.random instead\.$/],
    ['returns 5', () => 5, /^Expected random\(\) to return a number in \[0, 1\), got 5; /],
    ['returns -0.5', () => -0.5, /got -0\.5; /],
    ['returns a string', () => '0.5' as unknown as number, /got 0\.5; /],
  ])('a random that %s is reported (RS_LISTENER) and replaced by Math.random: every delay stays within [0, cap]', (_name, random, message) => {
    const { redialer, errors } = setup({ random, backoff: { maxAttempts: 50 } });
    redialer.start();
    for (let attempt = 1; attempt <= 20; attempt++) {
      const plan = redialer.plan(dialFailed(), false, undefined);
      if (!plan.retry) throw new Error('gave up');
      expect(plan.delayMs).toBeGreaterThanOrEqual(0);
      expect(plan.delayMs).toBeLessThanOrEqual(Math.min(1_000, 100 * 2 ** (attempt - 1)));
    }
    expect(errors).toHaveLength(20);
    for (const error of errors) expect(error).toMatchObject({ code: 'RS_LISTENER', event: 'random', message: expect.stringMatching(message) });
  });

  it('a dial that ends before dial() returns is followed like any other', async () => {
    const clock = new FakeClock(0);
    const dials: number[] = [];
    const storm: StormCounter = { attempt: () => undefined, cooldownMs: () => 0, failed: () => {}, healthy: () => {} };
    const redialer: Redialer = new Redialer({ backoff: { ...BACKOFF, maxAttempts: 2 }, random: constant(0.5), clock, wakeJitterMs: 200 }, storm, {
      dial: (attempt) => {
        dials.push(clock.now());
        const plan = redialer.plan(fault(), false, undefined);
        if (plan.retry) redialer.follow(plan);
      },
      error: (error) => expect.unreachable(String(error)),
    });
    redialer.start();
    await flush();
    clock.advance(50);
    await flush();
    clock.advance(100);
    await flush();
    expect(dials).toEqual([0, 50, 150]); // delays 50 and 100: uniform[0, cap] at 0.5
    expect(redialer.attempt).toBe(3); // the third end gave up (maxAttempts 2)
    expect(clock.pending).toBe(0);
  });

  it('a dial that throws ends the loop quietly: no unhandled rejection, no further dial', async () => {
    const clock = new FakeClock(0);
    let dials = 0;
    const storm: StormCounter = { attempt: () => undefined, cooldownMs: () => 0, failed: () => {}, healthy: () => {} };
    const redialer = new Redialer({ backoff: BACKOFF, random: constant(0.5), clock, wakeJitterMs: 200 }, storm, {
      dial: () => {
        dials++;
        throw new Error('host bug');
      },
      error: (error) => expect.unreachable(String(error)),
    });
    redialer.start();
    await flush();
    clock.advance(10_000);
    await flush();
    expect(dials).toBe(1);
  });

  describe('the cap bounded by the outage so far (outageFactor 2)', () => {
    const OUTAGE = { initialDelayMs: 500, maxDelayMs: 30_000, outageFactor: 2, maxAttempts: Infinity };
    /** The delay of the next plan at random -> 1: the cap, to the millisecond. */
    const capOf = (redialer: Redialer, end = fault(), wasHealthy = false): number =>
      Math.round((redialer.plan(end, wasHealthy, undefined) as { delayMs: number }).delayMs);

    it('fast failures 2 s into an outage wait at most 4 s, not the attempt cap of 16 s', () => {
      const { clock, redialer } = setup({ random: constant(0.999_999), backoff: OUTAGE });
      redialer.start();
      const caps: number[] = [];
      for (const at of [0, 100, 300, 700, 1_000, 2_000]) {
        clock.jump(at - clock.now());
        caps.push(capOf(redialer));
      }
      // Attempt caps would be 500, 1 000, 2 000, 4 000, 8 000, 16 000.
      expect(caps).toEqual([500, 500, 600, 1_400, 2_000, 4_000]);
      redialer.stop();
    });

    it('a long outage still backs off to maxDelayMs, and the attempt cap still bounds a slow one', () => {
      const { clock, redialer } = setup({ random: constant(0.999_999), backoff: OUTAGE });
      redialer.start();
      expect(capOf(redialer)).toBe(500);
      clock.jump(10_000); // a dial that hung until its connect timeout
      expect(capOf(redialer)).toBe(1_000); // attempt 2: min(1 000, 20 000)
      for (let i = 0; i < 10; i++) {
        clock.jump(30_000);
        capOf(redialer);
      }
      expect(capOf(redialer)).toBe(30_000);
      redialer.stop();
    });

    it('a flapping server (opens that die before resetAfterMs) does not restart the outage', () => {
      const { clock, redialer } = setup({ random: constant(0.999_999), backoff: OUTAGE });
      redialer.start();
      const caps: number[] = [];
      for (let i = 0; i < 6; i++) {
        caps.push(capOf(redialer));
        clock.jump(caps.at(-1)! + 50); // waited, dialed, opened, was dropped 50 ms later
      }
      expect(caps).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000]);
      redialer.stop();
    });

    it('a healthy connection and start() begin a new outage: the bound starts again at initialDelayMs', () => {
      const { clock, redialer } = setup({ random: constant(0.999_999), backoff: OUTAGE });
      redialer.start();
      capOf(redialer);
      clock.jump(20_000);
      expect(capOf(redialer)).toBe(1_000);
      clock.jump(60_000);
      expect(capOf(redialer, fault(), true)).toBe(500);
      clock.jump(200);
      expect(capOf(redialer)).toBe(500); // 200 ms into the new outage: max(500, 400)
      clock.jump(60_000);
      redialer.start();
      clock.jump(200);
      expect(capOf(redialer)).toBe(500);
      redialer.stop();
    });

    it('requested ends during an outage neither start nor restart it', () => {
      const { clock, redialer } = setup({ random: constant(0.999_999), backoff: OUTAGE });
      redialer.start();
      expect(redialer.plan(requested, false, undefined)).toMatchObject({ attempt: 0 });
      clock.jump(5_000);
      expect(capOf(redialer)).toBe(500); // the outage starts with this first counted end
      clock.jump(1_000);
      redialer.plan(requested, false, undefined);
      clock.jump(1_000);
      expect(capOf(redialer)).toBe(1_000); // attempt 2, 2 s in: min(1 000, 4 000)
      clock.jump(1_000);
      expect(capOf(redialer)).toBe(2_000); // attempt 3, 3 s in: min(2 000, 6 000)
      redialer.stop();
    });
  });

  it('no wait is armed longer than the longest timer', () => {
    const { redialer } = setup({ cooldownMs: 2 ** 31 - 1 });
    redialer.start();
    expect((redialer.plan(fault(), false, undefined) as { delayMs: number }).delayMs).toBe(2 ** 31 - 1);
    redialer.stop();
  });
});
