import { ResilientStreamError } from './errors.js';
import type { P2Quantile } from './quantile.js';
import type { StaleEvent } from './events.js';
import type { Clock } from './options.js';
import type { Staleness } from './resolve-options.js';

/** What the monitor asks of its owner; it never sees the stream itself. */
export interface LivenessCallbacks {
  /** Send a heartbeat ping now (protocol frame or application message); false if nothing could be sent. */
  ping(): boolean;
  /** Data or heartbeat deadline passed: the socket must be recycled. */
  dead(event: StaleEvent): void;
  /** A topic went silent: resubscribe it (`final` false) or recycle the socket (`final` true). */
  topicSilent(event: StaleEvent, final: boolean): void;
}

/** The monitor's thresholds, in ms. */
export interface LivenessConfig {
  readonly staleAfterMs: Staleness;
  readonly heartbeat: { readonly intervalMs: number; readonly timeoutMs: number } | false;
  readonly topicStaleAfterMs: number | false;
}

/** How finely arrivals are sampled: a fraction of the smallest threshold they are compared with. */
const SAMPLES_PER_THRESHOLD = 20;
const MIN_RESOLUTION_MS = 5;
/** Coarsest sampling, so health() ages stay within a second even with every deadline off or long. */
const MAX_RESOLUTION_MS = 1_000;
/** A check this much later than planned means the host was asleep or throttled. */
const LATE_SLACK_MS = 1_000;

interface TopicClock {
  count: number;
  seen: number;
  lastAt: number;
  /** 0 live, 1 resubscribed after one silent period. */
  strikes: number;
}

/**
 * Data staleness, heartbeats and per-topic staleness for one connection at a time.
 *
 * The per-message path only bumps counters (no clock read, no timer work). One timer samples the
 * counters every `threshold / 20` and compares timestamps of the monotonic clock with deadlines,
 * so a delayed timer postpones a verdict but never invents one. A check that runs much later than
 * planned (sleep, background-tab throttling) withholds a stale verdict until one more on-time
 * sample, so messages queued during the pause are counted first.
 */
export class LivenessMonitor {
  /** Inbound frames of any kind (transport liveness). Bumped by the owner per frame. */
  frames = 0;
  /** Data messages (staleness). Bumped by the owner through {@link recordData}. */
  data = 0;

  readonly #config: LivenessConfig;
  readonly #clock: Clock;
  readonly #callbacks: LivenessCallbacks;
  /** With adaptive staleness: the learned gap quantile, handed in by the stream (see learnWith). */
  #gaps: P2Quantile | undefined;
  /** Created on the first watched topic: most streams have none or never use per-topic clocks. */
  #topics: Map<string, TopicClock> | undefined;
  /** The timer callback: a bound method is half the size of an arrow function and its context (many idle streams). */
  readonly #tick: () => void;
  #timer: unknown;
  #plannedAt = 0;
  #running = false;
  #openedAt = 0;
  #seenFrames = 0;
  #seenData = 0;
  #lastFrameAt = 0;
  #lastDataAt: number | undefined;
  #lastDataExactAt: number | undefined;
  #pingSentAt: number | undefined;
  #withheld = false;
  /** The consumer is slow, not the feed: no silence is judged while paused (pings still go out). */
  #paused = false;

  constructor(config: LivenessConfig, clock: Clock, callbacks: LivenessCallbacks) {
    this.#config = config;
    this.#clock = clock;
    this.#callbacks = callbacks;
    this.#tick = this.#onTimer.bind(this);
  }

  /** Adaptive staleness learns data gaps into `gaps` (given before the first dial: the browser build fetches its code). */
  learnWith(gaps: P2Quantile): void {
    this.#gaps = gaps;
  }

  /** Counts one data message; learns its gap when staleness is adaptive (the one clock read it costs). */
  recordData(): void {
    this.data++;
    // The rest is out of line: this runs per message and must stay small enough to inline.
    if (this.#gaps !== undefined) this.#learnGap(this.#gaps);
  }

  #learnGap(gaps: P2Quantile): void {
    const now = this.#clock.now();
    if (this.#lastDataExactAt !== undefined) gaps.add(now - this.#lastDataExactAt);
    this.#lastDataExactAt = now;
    // The learned threshold can shrink far below the one the armed timer was planned for
    // (maxMs while warming up): re-plan so detection keeps its resolution.
    if (this.#running && this.#plannedAt - now > this.#resolution()) this.#replan(now);
  }

  /** Counts one message of `topic` (per-topic staleness). */
  recordTopic(topic: string): void {
    const entry = this.#topics?.get(topic);
    if (entry !== undefined) entry.count++;
  }

  /** Starts watching `topic` (subscribed now). */
  watchTopic(topic: string): void {
    const now = this.#clock.now();
    const topics = (this.#topics ??= new Map());
    const entry = topics.get(topic);
    if (entry === undefined) topics.set(topic, { count: 0, seen: 0, lastAt: now, strikes: 0 });
    else Object.assign(entry, { seen: entry.count, lastAt: now, strikes: 0 });
  }

  /** Stops watching `topic`. */
  unwatchTopic(topic: string): void {
    this.#topics?.delete(topic);
  }

  /** The data staleness threshold in force (learned when adaptive), or undefined when off. */
  get staleThresholdMs(): number | undefined {
    const staleness = this.#config.staleAfterMs;
    if (staleness.mode === 'off') return undefined;
    if (staleness.mode === 'fixed') return staleness.ms;
    const learned = this.#gaps!.count >= staleness.warmupSamples ? this.#gaps!.value() : undefined;
    if (learned === undefined) return staleness.maxMs;
    return Math.min(staleness.maxMs, Math.max(staleness.minMs, learned * staleness.multiplier));
  }

  /** Counts what arrived since the last sample now, so the readings below are current (health()). */
  sample(): void {
    this.#sample(this.#clock.now());
  }

  /** Epoch ms of the last data message as of the last sample, or undefined. */
  lastDataAt(): number | undefined {
    return this.#lastDataAt;
  }

  /** The last message of `topic` (epoch ms, as of the last sample) and whether it is stale; undefined if not watched. */
  topicState(topic: string): { lastAt: number | undefined; stale: boolean } | undefined {
    const entry = this.#topics?.get(topic);
    if (entry === undefined) return undefined;
    return { lastAt: entry.seen > 0 ? entry.lastAt : undefined, stale: entry.strikes > 0 };
  }

  /** A socket opened: deadlines restart from now. */
  start(): void {
    this.stop();
    const now = this.#clock.now();
    this.#running = true;
    this.#openedAt = this.#lastFrameAt = now;
    this.#seenFrames = this.frames;
    this.#seenData = this.data;
    this.#pingSentAt = undefined;
    this.#lastDataExactAt = undefined;
    this.#withheld = false;
    if (this.#topics !== undefined) for (const entry of this.#topics.values()) Object.assign(entry, { seen: entry.count, lastAt: now, strikes: 0 });
    this.#schedule(now);
  }

  /**
   * The consumer paused reading: a paused socket delivers nothing, so no silence deadline is
   * judged; pings still go out every `heartbeat.intervalMs` (some venues drop a client that
   * stops pinging). resume() restarts every deadline from now.
   */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#running) this.start();
  }

  /** The socket is gone: no more checks until the next start(). */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Checks every deadline now (wake-up signals); a long pause first gets one more sample. */
  check(): void {
    if (!this.#running) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#run(true);
  }

  #onTimer(): void {
    this.#run(false);
  }

  #run(isWake: boolean): void {
    this.#timer = undefined;
    if (!this.#running) return;
    const now = this.#clock.now();
    if (this.#paused) return this.#pingWhilePaused(now);
    const isLate = isWake || now - this.#plannedAt > this.#resolution() + LATE_SLACK_MS;
    this.#sample(now);
    if (this.#judge(now, isLate)) this.#schedule(now);
  }

  #sample(now: number): void {
    if (this.frames !== this.#seenFrames) {
      this.#seenFrames = this.frames;
      this.#lastFrameAt = now;
      this.#pingSentAt = undefined;
    }
    if (this.data !== this.#seenData) {
      this.#seenData = this.data;
      this.#lastDataAt = now;
    }
    if (this.#topics !== undefined) for (const entry of this.#topics.values()) {
      if (entry.count !== entry.seen) Object.assign(entry, { seen: entry.count, lastAt: now, strikes: 0 });
    }
  }

  /** Applies every deadline; returns false when the connection was declared dead. */
  #judge(now: number, isLate: boolean): boolean {
    const withhold = isLate && !this.#withheld;
    this.#withheld = withhold;
    const threshold = this.staleThresholdMs;
    if (threshold !== undefined) {
      const silentForMs = now - Math.max(this.#lastDataAt ?? 0, this.#openedAt);
      if (silentForMs >= threshold && !withhold) {
        this.#callbacks.dead({ kind: 'data', silentForMs: Math.round(silentForMs), thresholdMs: Math.round(threshold) });
        return false;
      }
    }
    if (!this.#judgeHeartbeat(now, withhold)) return false;
    return this.#judgeTopics(now, withhold);
  }

  #judgeHeartbeat(now: number, withhold: boolean): boolean {
    const heartbeat = this.#config.heartbeat;
    if (heartbeat === false) return true;
    if (this.#pingSentAt === undefined) {
      if (now - this.#lastFrameAt >= heartbeat.intervalMs) {
        // A socket that cannot be asked (a browser without heartbeat.ping) is not judged by the
        // heartbeat at all: silence alone is not death; data staleness still applies.
        if (this.#callbacks.ping()) this.#pingSentAt = now;
        else this.#lastFrameAt = now;
      }
      return this.#running;
    }
    if (now - this.#pingSentAt < heartbeat.timeoutMs || withhold) return true;
    const thresholdMs = heartbeat.intervalMs + heartbeat.timeoutMs;
    this.#callbacks.dead({ kind: 'heartbeat', silentForMs: Math.round(now - this.#lastFrameAt), thresholdMs });
    return false;
  }

  #judgeTopics(now: number, withhold: boolean): boolean {
    const thresholdMs = this.#config.topicStaleAfterMs;
    if (thresholdMs === false || withhold || this.#topics === undefined) return true;
    for (const [topic, entry] of this.#topics) {
      const silentForMs = now - entry.lastAt;
      if (silentForMs < thresholdMs) continue;
      const final = entry.strikes > 0;
      entry.strikes++;
      entry.lastAt = now;
      this.#callbacks.topicSilent({ kind: 'topic', topic, silentForMs: Math.round(silentForMs), thresholdMs }, final);
      if (final || !this.#running) return false;
    }
    return this.#running;
  }

  #pingWhilePaused(now: number): void {
    const heartbeat = this.#config.heartbeat;
    if (heartbeat === false) return;
    if (now - this.#lastFrameAt >= heartbeat.intervalMs) {
      this.#callbacks.ping();
      this.#lastFrameAt = now;
    }
    this.#plannedAt = this.#lastFrameAt + heartbeat.intervalMs;
    this.#timer = this.#clock.setTimeout(this.#tick, this.#plannedAt - now);
  }

  #resolution(): number {
    let smallest = Number.POSITIVE_INFINITY;
    const threshold = this.staleThresholdMs;
    if (threshold !== undefined) smallest = threshold;
    const { heartbeat, topicStaleAfterMs } = this.#config;
    // Only silences are sampled; the ping timeout runs from an exact timestamp, so it sets no resolution.
    if (heartbeat !== false) smallest = Math.min(smallest, heartbeat.intervalMs);
    if (topicStaleAfterMs !== false) smallest = Math.min(smallest, topicStaleAfterMs);
    return Math.min(MAX_RESOLUTION_MS, Math.max(MIN_RESOLUTION_MS, smallest / SAMPLES_PER_THRESHOLD));
  }

  #replan(now: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#schedule(now);
  }

  /** Arms the one timer for the next sample or the next deadline, whichever is sooner. */
  #schedule(now: number): void {
    if (!this.#running) return;
    const resolution = this.#resolution();
    let next = now + resolution;
    const threshold = this.staleThresholdMs;
    if (threshold !== undefined) next = Math.min(next, Math.max(this.#lastDataAt ?? 0, this.#openedAt) + threshold);
    const heartbeat = this.#config.heartbeat;
    if (heartbeat !== false) {
      next = Math.min(next, this.#pingSentAt === undefined ? this.#lastFrameAt + heartbeat.intervalMs : this.#pingSentAt + heartbeat.timeoutMs);
    }
    // After a withheld verdict, wait one full step so events queued during the pause are counted.
    this.#plannedAt = Math.max(next, this.#withheld ? now + resolution : now);
    this.#timer = this.#clock.setTimeout(this.#tick, this.#plannedAt - now);
  }
}

/** The error a passed data, heartbeat or final topic deadline is reported with (RS_STALE or RS_HEARTBEAT_TIMEOUT). */
export function staleError(event: StaleEvent): ResilientStreamError {
  const code = event.kind === 'heartbeat' ? 'RS_HEARTBEAT_TIMEOUT' : 'RS_STALE';
  const what = event.kind === 'heartbeat' ? 'Nothing arrived after a heartbeat ping'
    : event.kind === 'topic' ? `Topic ${event.topic} stayed silent after a resubscribe` : 'No data arrived';
  return new ResilientStreamError(code, `${what} for ${event.silentForMs} ms (threshold ${event.thresholdMs} ms); reconnecting.`, { topic: event.topic });
}
