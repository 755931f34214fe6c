import { describe, expect, it } from 'vitest';
import { LivenessMonitor, type LivenessConfig } from '../../src/liveness.js';
import { P2Quantile } from '../../src/quantile.js';
import type { StaleEvent } from '../../src/events.js';
import { FakeClock } from '../helpers/fake-clock.js';

function setup(config: Partial<LivenessConfig> = {}) {
  const clock = new FakeClock();
  const log: string[] = [];
  const stale: StaleEvent[] = [];
  const full: LivenessConfig = { staleAfterMs: { mode: 'fixed', ms: 1_000 }, heartbeat: false, topicStaleAfterMs: false, ...config };
  const monitor = new LivenessMonitor(
    full,
    clock,
    {
      ping: () => log.push(`ping@${clock.now() - start}`) > 0,
      dead: (event) => { stale.push(event); log.push(`dead:${event.kind}@${clock.now() - start}`); monitor.stop(); },
      topicSilent: (event, final) => { stale.push(event); log.push(`topic:${event.topic}:${final ? 'final' : 'resubscribe'}@${clock.now() - start}`); if (final) monitor.stop(); },
    },
  );
  const start = clock.now();
  // The stream hands adaptive staleness its quantile (the browser build fetches the code first).
  const { staleAfterMs: staleness } = full;
  if (staleness.mode === 'auto') monitor.learnWith(new P2Quantile(staleness.quantile));
  return { clock, monitor, log, stale, start };
}

describe('data staleness', () => {
  it('declares stale once no data arrived for staleAfterMs, within one sampling step', () => {
    const { clock, monitor, log, stale } = setup();
    monitor.start();
    clock.advance(999);
    expect(log).toEqual([]);
    clock.advance(1);
    expect(log).toEqual(['dead:data@1000']);
    expect(stale[0]).toMatchObject({ kind: 'data', silentForMs: 1000, thresholdMs: 1000 });
  });

  it('only data messages reset the clock; other frames do not', () => {
    const { clock, monitor, log } = setup();
    monitor.start();
    for (let i = 0; i < 30; i++) {
      clock.advance(100);
      monitor.frames++; // heartbeats keep flowing...
    }
    expect(log[0]).toBe('dead:data@1000'); // ...but the data subscription is dead
  });

  it('never declares stale while data keeps arriving, and is late by at most one sample', () => {
    const { clock, monitor, log } = setup();
    monitor.start();
    for (let i = 0; i < 100; i++) {
      clock.advance(90);
      monitor.recordData();
    }
    expect(log).toEqual([]);
    const lastDataAt = clock.now();
    clock.advance(2_000);
    const detectedAfter = Number(log[0]!.split('@')[1]) - (lastDataAt - 1_700_000_000_000);
    expect(detectedAfter).toBeGreaterThanOrEqual(1_000);
    expect(detectedAfter).toBeLessThanOrEqual(1_000 + 1_000 / 20);
  });

  it('uses one timer at a time and releases it on stop()', () => {
    const { clock, monitor } = setup({ heartbeat: { intervalMs: 500, timeoutMs: 500 }, topicStaleAfterMs: 800 });
    monitor.watchTopic('a');
    monitor.start();
    for (let i = 0; i < 50; i++) {
      expect(clock.pending).toBe(1);
      clock.advance(10);
      monitor.recordData();
      monitor.recordTopic('a');
      monitor.frames++;
    }
    monitor.stop();
    expect(clock.pending).toBe(0);
  });

  it('a late check (sleep or throttled tab) withholds its verdict for one more sample', () => {
    const { clock, monitor, log } = setup();
    monitor.start();
    clock.advance(100);
    clock.jump(60_000); // the host slept: no timer ran
    monitor.data++; // a message queued during the pause is processed right after wake-up
    clock.advance(0); // the overdue timer runs first
    monitor.check();
    expect(log).toEqual([]);
    clock.advance(1_100);
    expect(log).toEqual(['dead:data@61100']);
  });

  it('a late check with genuinely no data still fires on the next sample', () => {
    const { clock, monitor, log } = setup();
    monitor.start();
    clock.jump(10_000);
    clock.advance(0);
    expect(log).toEqual([]);
    clock.advance(50);
    expect(log).toEqual(['dead:data@10050']);
  });
});

describe('heartbeats', () => {
  it('pings after intervalMs of total silence and declares the socket dead timeoutMs later', () => {
    const { clock, monitor, log, stale } = setup({ staleAfterMs: { mode: 'off' }, heartbeat: { intervalMs: 1_000, timeoutMs: 500 } });
    monitor.start();
    clock.advance(2_000);
    expect(log).toEqual(['ping@1000', 'dead:heartbeat@1500']);
    expect(stale[0]).toMatchObject({ kind: 'heartbeat', thresholdMs: 1_500, silentForMs: 1_500 });
  });

  it('any inbound frame answers the ping', () => {
    const { clock, monitor, log } = setup({ staleAfterMs: { mode: 'off' }, heartbeat: { intervalMs: 1_000, timeoutMs: 500 } });
    monitor.start();
    clock.advance(1_200);
    monitor.frames++; // the pong, seen by the next sample at 1250 (samples every 1000 / 20 ms)
    clock.advance(1_100);
    expect(log).toEqual(['ping@1000', 'ping@2250']);
  });

  it('does not ping while frames flow', () => {
    const { clock, monitor, log } = setup({ staleAfterMs: { mode: 'off' }, heartbeat: { intervalMs: 1_000, timeoutMs: 500 } });
    monitor.start();
    for (let i = 0; i < 50; i++) {
      clock.advance(200);
      monitor.frames++;
    }
    expect(log).toEqual([]);
  });
});

describe('a socket that cannot be pinged', () => {
  it('is not judged by the heartbeat: silence alone is not death (data staleness still applies)', () => {
    const clock = new FakeClock();
    const log: string[] = [];
    const monitor = new LivenessMonitor(
      { staleAfterMs: { mode: 'fixed', ms: 10_000 }, heartbeat: { intervalMs: 1_000, timeoutMs: 500 }, topicStaleAfterMs: false },
      clock,
      { ping: () => { log.push('asked'); return false; }, dead: (event) => { log.push(`dead:${event.kind}`); monitor.stop(); }, topicSilent: () => {} },
    );
    monitor.start();
    clock.advance(9_000);
    expect(log.filter((entry) => entry.startsWith('dead'))).toEqual([]);
    expect(log.filter((entry) => entry === 'asked').length).toBeLessThanOrEqual(9);
    clock.advance(1_100);
    expect(log.at(-1)).toBe('dead:data');
  });
});

describe('per-topic staleness', () => {
  it('resubscribes a silent topic once, then recycles if it stays silent', () => {
    const { clock, monitor, log } = setup({ staleAfterMs: { mode: 'off' }, topicStaleAfterMs: 1_000 });
    monitor.watchTopic('a');
    monitor.watchTopic('b');
    monitor.start();
    for (let i = 0; i < 25; i++) {
      clock.advance(100);
      monitor.recordTopic('a');
    }
    expect(log).toEqual(['topic:b:resubscribe@1000', 'topic:b:final@2000']);
  });

  it('a topic that comes back after the resubscribe is live again', () => {
    const { clock, monitor, log } = setup({ staleAfterMs: { mode: 'off' }, topicStaleAfterMs: 1_000 });
    monitor.watchTopic('b');
    monitor.start();
    clock.advance(1_500);
    monitor.recordTopic('b');
    clock.advance(100);
    expect(monitor.topicState('b')).toMatchObject({ stale: false });
    clock.advance(900);
    expect(log).toEqual(['topic:b:resubscribe@1000']);
  });
});

describe('adaptive staleness', () => {
  it('uses maxMs until it has learned enough gaps, then multiplier x the learned quantile, clamped', () => {
    const { clock, monitor } = setup({
      staleAfterMs: { mode: 'auto', minMs: 200, maxMs: 60_000, multiplier: 3, quantile: 0.99, warmupSamples: 50 },
    });
    monitor.start();
    expect(monitor.staleThresholdMs).toBe(60_000);
    for (let i = 0; i < 200; i++) {
      clock.advance(100);
      monitor.recordData();
    }
    expect(monitor.staleThresholdMs).toBeCloseTo(300, 0);
  });

  it('a quiet feed learns a long threshold and is not a false alarm; a busy one is clamped to minMs', () => {
    const quiet = setup({ staleAfterMs: { mode: 'auto', minMs: 1_000, maxMs: 600_000, multiplier: 3, quantile: 0.99, warmupSamples: 20 } });
    quiet.monitor.start();
    for (let i = 0; i < 100; i++) {
      quiet.clock.advance(20_000);
      quiet.monitor.recordData();
    }
    expect(quiet.log).toEqual([]);
    expect(quiet.monitor.staleThresholdMs).toBeCloseTo(60_000, -2);

    const busy = setup({ staleAfterMs: { mode: 'auto', minMs: 1_000, maxMs: 600_000, multiplier: 3, quantile: 0.99, warmupSamples: 20 } });
    busy.monitor.start();
    for (let i = 0; i < 1_000; i++) {
      busy.clock.advance(5);
      busy.monitor.recordData();
    }
    expect(busy.monitor.staleThresholdMs).toBe(1_000);
    busy.clock.advance(1_100);
    expect(busy.log).toHaveLength(1);
    const detectedAt = Number(busy.log[0]!.replace('dead:data@', ''));
    // last data at 5000; threshold 1000; at most one sampling step (1000 / 20) late
    expect(detectedAt).toBeGreaterThanOrEqual(6_000);
    expect(detectedAt).toBeLessThanOrEqual(6_050);
  });
});

describe('adaptive staleness right after warm-up', () => {
  it('a stall that starts the moment the threshold is learned is still caught at the learned threshold', () => {
    const { clock, monitor, log } = setup({
      staleAfterMs: { mode: 'auto', minMs: 100, maxMs: 60_000, multiplier: 3, quantile: 0.99, warmupSamples: 10 },
    });
    monitor.start();
    for (let i = 0; i < 11; i++) {
      clock.advance(10);
      monitor.recordData();
    }
    expect(monitor.staleThresholdMs).toBe(100);
    clock.advance(200);
    expect(log).toHaveLength(1);
    expect(Number(log[0]!.replace('dead:data@', ''))).toBeLessThanOrEqual(110 + 100 + 5);
  });
});

describe('timer budget', () => {
  it('with the default thresholds an idle-but-healthy stream arms about 1.33 timers per second', () => {
    const clock = new FakeClock();
    let armed = 0;
    const counting = { now: () => clock.now(), setTimeout: (fn: () => void, ms: number) => { armed++; return clock.setTimeout(fn, ms); }, clearTimeout: (h: unknown) => clock.clearTimeout(h) };
    const monitor = new LivenessMonitor(
      { staleAfterMs: { mode: 'fixed', ms: 30_000 }, heartbeat: { intervalMs: 15_000, timeoutMs: 10_000 }, topicStaleAfterMs: false },
      counting,
      { ping: () => true, dead: () => { throw new Error('not expected'); }, topicSilent: () => {} },
    );
    monitor.start();
    for (let second = 0; second < 60; second++) {
      clock.advance(1_000);
      monitor.recordData();
      monitor.frames++;
    }
    monitor.stop();
    expect(armed / 60).toBeGreaterThan(1.2);
    expect(armed / 60).toBeLessThan(1.45);
  });
});

describe('message ages for health()', () => {
  it('stay within a second even with every deadline off', () => {
    const clock = new FakeClock();
    const monitor = new LivenessMonitor({ staleAfterMs: { mode: 'off' }, heartbeat: false, topicStaleAfterMs: false }, clock,
      { ping: () => true, dead: () => {}, topicSilent: () => {} });
    monitor.start();
    clock.advance(3_000);
    monitor.recordData();
    clock.advance(15_000); // a health scrape every 15 s
    const age = clock.now() - monitor.lastDataAt()!;
    expect(age).toBeGreaterThanOrEqual(14_000);
    expect(age).toBeLessThanOrEqual(15_000);
    monitor.stop();
    expect(clock.pending).toBe(0);
  });
});
