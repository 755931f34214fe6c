/**
 * The model-based lifecycle check behind test/property/lifecycle.property.test.ts and the soak
 * (test/soak/): one random sequence of API calls, re-entrant listener calls and server faults,
 * run against a real feed server, with every invariant checked after each step.
 *
 * "After each step" means: the command ran, then SETTLE_MS of real time passed, then the checks
 * ran. A check about server-side sockets polls for up to SOCKET_GRACE_MS, because a socket the
 * client has cut is only gone from the server once its TCP close arrives there.
 */
import fc from 'fast-check';
import { WebSocket as NodeWebSocket } from 'ws';
import { ResilientStream, ResilientStreamError, TRANSITIONS, type Clock, type StreamState } from '../../src/index.js';
import { createFeedServer, type FeedServer } from '../../src/testing/index.js';

export const TOPICS = ['a', 'b', 'c'] as const;
export type Topic = (typeof TOPICS)[number];
type ListenerEvent = 'close' | 'open' | 'error' | 'reconnecting' | 'state' | 'message' | 'stale' | 'rotated';
type ListenerAction = 'close' | 'reconnect' | 'start' | 'subscribe' | 'unsubscribe' | 'send' | 'rotate' | 'pause' | 'waitFor' | 'once' | 'health' | 'iterate' | 'listenData';

/** One step of a sequence: an API call, a listener that calls back in, or a server fault. */
export type Command =
  | { kind: 'start' }
  /** Codes a close frame cannot carry (1005, 99999) and over-long reasons are cut and reported, never thrown. */
  | { kind: 'close'; code: 1000 | 4001 | 1005 | 99_999; longReason: boolean }
  | { kind: 'reconnect' }
  | { kind: 'send' }
  /** The first `data` listener, added between steps (a listener action adds it from inside events too). */
  | { kind: 'listenData' }
  | { kind: 'subscribe'; topic: Topic }
  | { kind: 'unsubscribe'; topic: Topic }
  | { kind: 'publish'; topic: Topic; count: number }
  | { kind: 'wait'; ms: number }
  | { kind: 'rotate' }
  | { kind: 'pause'; ms: number }
  | { kind: 'listener'; event: ListenerEvent; action: ListenerAction }
  | { kind: 'drop' }
  | { kind: 'serverClose'; code: 1000 | 1008 | 1011 | 4000 }
  | { kind: 'stall'; ms: number }
  | { kind: 'freeze'; ms: number }
  | { kind: 'rejectHandshakes'; status: 401 | 500; count: number }
  | { kind: 'hangHandshakes' }
  | { kind: 'restart'; downMs: number }
  | { kind: 'flap'; openMs: number; count: number }
  | { kind: 'duplicate' }
  | { kind: 'gap' };

/** Per-sequence stream configuration. */
export interface Config {
  topics: Topic[];
  /** `sequence: m => m.seq` per topic: duplicates are dropped by the stream (enables the duplicate fault). */
  sequence: boolean;
  /** A resync hook that resolves after this many ms with the server's per-topic positions (the `resyncing` state), or none. */
  resyncMs: number | false;
  heartbeat: boolean;
  maxAttempts: number;
  /** The `rotate` option; without it a stream with no `sequence` or `resync` has no optional part until rotate() (the plain message path). */
  rotate: boolean;
}

/** Timings: small enough for hundreds of sequences a minute, large enough for a loaded 2-core box. */
export const TIMINGS = Object.freeze({
  initialDelayMs: 10,
  maxDelayMs: 40,
  staleAfterMs: 150,
  heartbeat: { intervalMs: 60, timeoutMs: 80 },
  connectTimeoutMs: 250,
  closeTimeoutMs: 150,
  resyncTimeoutMs: 250,
  messagesPerSecond: 40,
  overlapMs: 300,
});
export const SETTLE_MS = 15;
export const SOCKET_GRACE_MS = 700;
/** How long after close() resolves the server must see no new upgrade request. */
export const QUIET_AFTER_CLOSE_MS = 120;

const topicArb = fc.constantFrom(...TOPICS);

export const configArb: fc.Arbitrary<Config> = fc.record({
  topics: fc.subarray([...TOPICS], { minLength: 1 }),
  sequence: fc.boolean(),
  resyncMs: fc.oneof(fc.constant(false as const), fc.integer({ min: 0, max: 40 })),
  heartbeat: fc.boolean(),
  rotate: fc.boolean(),
  maxAttempts: fc.oneof({ weight: 3, arbitrary: fc.constant(Number.POSITIVE_INFINITY) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }) }),
});

export function commandArb(config: Config): fc.Arbitrary<Command> {
  const api = fc.oneof(
    { weight: 4, arbitrary: fc.constant<Command>({ kind: 'start' }) },
    {
      weight: 1,
      arbitrary: fc.record({ code: fc.constantFrom(1000 as const, 4001 as const, 1005 as const, 99_999 as const), longReason: fc.boolean() })
        .map((r): Command => ({ kind: 'close', ...r })),
    },
    { weight: 2, arbitrary: fc.constant<Command>({ kind: 'reconnect' }) },
    { weight: 2, arbitrary: fc.constant<Command>({ kind: 'send' }) },
    { weight: 1, arbitrary: fc.constant<Command>({ kind: 'listenData' }) },
    { weight: 1, arbitrary: topicArb.map((topic): Command => ({ kind: 'subscribe', topic })) },
    { weight: 1, arbitrary: topicArb.map((topic): Command => ({ kind: 'unsubscribe', topic })) },
    { weight: 2, arbitrary: fc.record({ topic: topicArb, count: fc.integer({ min: 1, max: 5 }) }).map((r): Command => ({ kind: 'publish', ...r })) },
    { weight: 3, arbitrary: fc.integer({ min: 10, max: 200 }).map((ms): Command => ({ kind: 'wait', ms })) },
    { weight: 2, arbitrary: fc.constant<Command>({ kind: 'rotate' }) },
    { weight: 1, arbitrary: fc.integer({ min: 50, max: 300 }).map((ms): Command => ({ kind: 'pause', ms })) },
    {
      weight: 3,
      arbitrary: fc
        .record({
          event: fc.constantFrom<ListenerEvent>('close', 'open', 'error', 'reconnecting', 'state', 'message', 'stale', 'rotated'),
          action: fc.constantFrom<ListenerAction>('close', 'reconnect', 'start', 'subscribe', 'unsubscribe', 'send', 'rotate', 'pause', 'waitFor', 'once', 'health', 'iterate', 'listenData'),
        })
        .map((r): Command => ({ kind: 'listener', ...r })),
    },
  );
  const faults: Array<fc.WeightedArbitrary<Command>> = [
    { weight: 2, arbitrary: fc.constant<Command>({ kind: 'drop' }) },
    { weight: 2, arbitrary: fc.constantFrom(1000 as const, 1008 as const, 1011 as const, 4000 as const).map((code): Command => ({ kind: 'serverClose', code })) },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 300 }).map((ms): Command => ({ kind: 'stall', ms })) },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 300 }).map((ms): Command => ({ kind: 'freeze', ms })) },
    {
      weight: 1,
      arbitrary: fc
        .record({ status: fc.constantFrom(401 as const, 500 as const), count: fc.integer({ min: 1, max: 3 }) })
        .map((r): Command => ({ kind: 'rejectHandshakes', ...r })),
    },
    { weight: 1, arbitrary: fc.constant<Command>({ kind: 'hangHandshakes' }) },
    { weight: 1, arbitrary: fc.integer({ min: 20, max: 150 }).map((downMs): Command => ({ kind: 'restart', downMs })) },
    {
      weight: 1,
      arbitrary: fc
        .record({ openMs: fc.integer({ min: 0, max: 40 }), count: fc.integer({ min: 1, max: 4 }) })
        .map((r): Command => ({ kind: 'flap', ...r })),
    },
    { weight: 1, arbitrary: fc.constant<Command>({ kind: 'gap' }) },
  ];
  if (config.sequence) faults.push({ weight: 1, arbitrary: fc.constant<Command>({ kind: 'duplicate' }) });
  return fc.oneof({ weight: 3, arbitrary: api }, { weight: 2, arbitrary: fc.oneof(...faults) });
}

/** A config and its commands; most sequences begin with start(). */
export function scenarioArb(maxLength: number): fc.Arbitrary<{ config: Config; commands: Command[] }> {
  return configArb.chain((config) =>
    fc.record({
      config: fc.constant(config),
      commands: fc.tuple(fc.boolean(), fc.array(commandArb(config), { minLength: 1, maxLength })).map(([startFirst, rest]) =>
        startFirst ? [{ kind: 'start' } as Command, ...rest] : rest),
    }));
}

// ── process-wide failure capture ──────────────────────────────────────────────────────────────

const uncaught: string[] = [];
let captureDepth = 0;
const onUncaught = (error: unknown): void => void uncaught.push(`uncaughtException: ${show(error)}`);
const onRejection = (reason: unknown): void => void uncaught.push(`unhandledRejection: ${show(reason)}`);

/** Installs process listeners for uncaught exceptions and unhandled rejections (nestable). */
export function captureProcessErrors(): () => void {
  if (captureDepth++ === 0) {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onRejection);
  }
  return () => {
    if (--captureDepth === 0) {
      process.off('uncaughtException', onUncaught);
      process.off('unhandledRejection', onRejection);
    }
  };
}

/** Takes (and clears) the uncaught errors seen so far. */
export function takeUncaught(): string[] {
  return uncaught.splice(0);
}

// ── the system under test, instrumented ───────────────────────────────────────────────────────

/** A real-timer clock that knows which of its timers are still armed. */
export class CountingClock implements Clock {
  readonly #armed = new Set<ReturnType<typeof setTimeout>>();
  now(): number {
    return performance.timeOrigin + performance.now();
  }
  setTimeout(callback: () => void, delayMs: number): unknown {
    const handle = setTimeout(() => {
      this.#armed.delete(handle);
      callback();
    }, delayMs);
    this.#armed.add(handle);
    return handle;
  }
  clearTimeout(handle: unknown): void {
    this.#armed.delete(handle as ReturnType<typeof setTimeout>);
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  }
  get armed(): number {
    return this.#armed.size;
  }
}

interface JsonMessage { topic?: string; seq?: number; op?: string; id?: number }

const LIVE_OR_DIALING: readonly StreamState[] = ['connecting', 'resyncing', 'open'];
const AFTER_CLOSE_FORBIDDEN_STATES: readonly StreamState[] = ['connecting', 'reconnecting', 'resyncing', 'open'];

/** Thrown when an invariant does not hold; carries the story so far. */
export class InvariantViolation extends Error {
  override name = 'InvariantViolation';
}

/** Runs one scenario to the end; throws InvariantViolation (with the event log) on the first broken invariant. */
export async function runScenario(config: Config, commands: readonly Command[], seed = 1): Promise<void> {
  const run = new Run(config, seed);
  await run.setUp();
  try {
    for (const [index, command] of commands.entries()) {
      run.step = index;
      await run.execute(command);
      await sleep(SETTLE_MS);
      await run.check(`after step ${index} ${JSON.stringify(command)}`);
    }
    await run.finish();
  } catch (error) {
    await run.tearDownQuietly();
    if (error instanceof InvariantViolation) throw error;
    throw new InvariantViolation(`${show(error)}\n${run.story()}`, { cause: error });
  }
}

class Run {
  step = -1;
  readonly config: Config;
  readonly seed: number;
  feed!: FeedServer;
  stream!: ResilientStream<JsonMessage, unknown>;
  readonly clock = new CountingClock();
  readonly log: string[] = [];
  readonly violations: string[] = [];
  state: StreamState = 'idle';
  closeCalled = false;
  /** rotate() calls not settled yet, and when the last one settled (a retired socket may linger). */
  rotating = 0;
  /** waitFor() promises not settled yet; none may outlive close(). */
  waiting = 0;
  waits = 0;
  rotatedAt = 0;
  closedEmitted = false;
  closePromise: Promise<void> | undefined;
  reconnectingEvents = 0;
  delivered = 0;
  /** Since the first `data` listener was added (undefined before): messages that pass `isData`, and what `data` got. */
  dataExpected: number | undefined;
  dataDelivered = 0;
  /** The message whose `message` listener is calling the API right now (a `listener` step on 'message'). */
  delivering: JsonMessage | undefined;
  readonly lastSeq = new Map<string, number>();
  nextSendId = 1;
  readonly acceptedSends = new Set<number>();
  handshakesAtCloseResolved: number | undefined;
  acceptedAtCloseResolved: number | undefined;

  constructor(config: Config, seed: number) {
    this.config = config;
    this.seed = seed;
  }

  async setUp(): Promise<void> {
    takeUncaught();
    this.feed = await createFeedServer({ messagesPerSecond: TIMINGS.messagesPerSecond, seed: this.seed });
    const { config } = this;
    const run = this;
    /** Counts dials on the client side: a socket constructed after close() was called is a dial after close. */
    class CountingWebSocket extends NodeWebSocket {
      constructor(...args: ConstructorParameters<typeof NodeWebSocket>) {
        if (run.closeCalled) run.violate('a WebSocket was constructed (a dial) after close() was called');
        super(...args);
      }
    }
    this.stream = new ResilientStream<JsonMessage, unknown>({
      url: this.feed.url,
      WebSocket: CountingWebSocket as never,
      topics: config.topics,
      subscribe: ({ topics }) => (topics.length > 0 ? { op: 'subscribe', topics } : undefined),
      unsubscribe: ({ topics }) => ({ op: 'unsubscribe', topics }),
      topicOf: (message) => message.topic,
      isData: (message) => message.topic !== undefined,
      sequence: config.sequence ? (message) => message.seq : undefined,
      // Rotations prove overlap by sequence, else by a per-topic key: neither lets a message through twice.
      dedupeKey: (message) => (message.topic === undefined || message.seq === undefined ? undefined : `${message.topic}:${message.seq}`),
      rotate: config.rotate ? { overlapMs: TIMINGS.overlapMs } : undefined,
      // A snapshot as a real hook would fetch it: the server's position of each topic.
      resync: config.resyncMs === false ? undefined : async ({ topics, signal }) => {
        await sleep(config.resyncMs as number, signal);
        const positions = this.feed.state().topics;
        return { sequences: Object.fromEntries(topics.map((topic) => [topic, positions[topic]?.position ?? 0])) };
      },
      staleAfterMs: TIMINGS.staleAfterMs,
      heartbeat: config.heartbeat ? TIMINGS.heartbeat : false,
      backoff: { initialDelayMs: TIMINGS.initialDelayMs, maxDelayMs: TIMINGS.maxDelayMs, maxAttempts: config.maxAttempts, resetAfterMs: 300 },
      storm: { maxReconnects: 4, windowMs: 400 },
      connectTimeoutMs: TIMINGS.connectTimeoutMs,
      closeTimeoutMs: TIMINGS.closeTimeoutMs,
      resyncTimeoutMs: TIMINGS.resyncTimeoutMs,
      clock: this.clock,
      reconnectOnOnline: false,
    });
    this.#observe();
  }

  #observe(): void {
    const { stream } = this;
    const events = ['state', 'open', 'resyncing', 'resynced', 'message', 'gap', 'stale', 'close', 'reconnecting', 'storm', 'stormEnd', 'rotated', 'error'] as const;
    for (const event of events) {
      stream.on(event, (payload: unknown) => this.#onEvent(event, payload));
    }
  }

  #onEvent(event: string, payload: unknown): void {
    const p = payload as Record<string, any>;
    if (event !== 'message') this.log.push(`  [${this.step}] ${event} ${summary(event, p)}`);
    if (this.closedEmitted) this.violate(`'${event}' emitted after the final state:closed`);
    if (event === 'state') {
      const { from, to } = p as { from: StreamState; to: StreamState };
      if (from !== this.state) this.violate(`state event from ${from} but the previous state was ${this.state}`);
      if (!TRANSITIONS[from]?.includes(to)) this.violate(`illegal state transition ${from} -> ${to}`);
      if (this.closeCalled && AFTER_CLOSE_FORBIDDEN_STATES.includes(to)) this.violate(`state -> ${to} after close() was called`);
      this.state = to;
      if (to === 'closed') this.closedEmitted = true;
    }
    if (event === 'reconnecting') {
      this.reconnectingEvents++;
      if (this.closeCalled) this.violate(`'reconnecting' after close() was called`);
      if (p.attempt > this.config.maxAttempts) this.violate(`reconnect attempt ${p.attempt} beyond backoff.maxAttempts ${this.config.maxAttempts}`);
    }
    if (event === 'open' && this.closeCalled) this.violate(`'open' after close() was called`);
    if (event === 'rotated' && this.closeCalled) this.violate(`'rotated' after close() was called`);
    if (event === 'stale' && p.kind === 'data' && this.stream.isPaused) this.violate(`data staleness judged while paused`);
    if (event === 'message') this.#onMessage(p as JsonMessage);
  }

  #onMessage(message: JsonMessage): void {
    this.delivered++;
    if (this.dataExpected !== undefined && message.topic !== undefined) this.dataExpected++;
    if (message.topic === undefined || typeof message.seq !== 'number') return;
    const last = this.lastSeq.get(message.topic);
    if (last !== undefined && message.seq <= last) {
      this.violate(`topic ${message.topic}: seq ${message.seq} delivered after ${last} (${message.seq === last ? 'twice' : 'out of order'})`);
    }
    this.lastSeq.set(message.topic, Math.max(last ?? 0, message.seq));
  }

  violate(what: string): void {
    this.violations.push(`[step ${this.step}] ${what}`);
  }

  /** Calls an API method the way an application would; throws only what the docs allow. */
  #call(action: ListenerAction, where: string): void {
    const { stream } = this;
    const calls: Record<ListenerAction, () => void> = {
      start: () => stream.start(),
      close: () => this.#close(1000),
      reconnect: () => stream.reconnect(),
      subscribe: () => stream.subscribe('c'),
      unsubscribe: () => stream.unsubscribe('a'),
      send: () => this.#send(),
      rotate: () => this.#rotate(),
      pause: () => {
        stream.pause();
        setTimeout(() => stream.resume(), 50);
      },
      waitFor: () => this.#waitFor(),
      once: () => this.#once(),
      health: () => void stream.health(),
      iterate: () => void this.#iterate(),
      listenData: () => this.#listenData(),
    };
    try {
      calls[action]();
    } catch (error) {
      const allowed = action === 'start' && this.closeCalled && error instanceof ResilientStreamError && error.code === 'RS_CLOSED';
      if (!allowed) this.violate(`${action}() ${where} threw ${show(error)}`);
    }
  }

  #close(code: number, longReason = false): void {
    this.closeCalled = true;
    const promise = this.stream.close(code, longReason ? 'model '.repeat(40) : 'model');
    this.closePromise ??= promise.then(() => {
      this.handshakesAtCloseResolved = this.feed.handshakeAttempts;
      this.acceptedAtCloseResolved = this.feed.connectionsAccepted;
    });
  }

  /** waitFor() settles with the state, or rejects with a ResilientStreamError (closed, failed, a bad state name): never hangs past close(). */
  #waitFor(): void {
    const states = ['open', 'closed', 'reconnecting', 'opened'] as const;
    const state = states[this.waits++ % states.length] as StreamState;
    this.waiting++;
    this.stream.waitFor(state).then(
      (reached) => {
        if (reached !== state) this.violate(`waitFor('${state}') resolved with '${reached}'`);
      },
      (error: unknown) => {
        if (!(error instanceof ResilientStreamError)) this.violate(`waitFor('${state}') rejected with ${show(error)}`);
        else if ((state as string) === 'opened' && error.code !== 'RS_INVALID_OPTIONS') this.violate(`waitFor('opened') rejected with ${error.code}, not RS_INVALID_OPTIONS`);
      },
    ).finally(() => this.waiting--);
  }

  /** A `data` listener from now on (the first one only): it must get every message `message` gets that passes `isData`. */
  #listenData(): void {
    if (this.dataExpected !== undefined) return;
    // Added inside a `message` listener, it also gets the message being delivered (if it is data).
    this.dataExpected = this.delivering?.topic !== undefined ? 1 : 0;
    this.stream.on('data', () => void this.dataDelivered++);
  }

  /** An async iterator taking up to three messages: each next() settles, at the latest with done at close(). */
  async #iterate(): Promise<void> {
    this.waiting++;
    const iterator = this.stream[Symbol.asyncIterator]();
    try {
      for (let taken = 0; taken < 3; taken++) if ((await iterator.next()).done === true) break;
    } catch (error) {
      // The stream failing ends iterators with its error; anything else is a violation.
      if (!(error instanceof ResilientStreamError)) this.violate(`an iterator's next() rejected with ${show(error)}`);
    } finally {
      await iterator.return?.();
      this.waiting--;
    }
  }

  /** once(event) resolves with the next payload or rejects RS_CLOSED: never hangs past close(). */
  #once(): void {
    const events = ['open', 'close', 'message', 'gap'] as const;
    const event = events[this.waits++ % events.length]!;
    this.waiting++;
    this.stream.once(event).then(
      () => undefined,
      (error: unknown) => {
        if (!(error instanceof ResilientStreamError) || error.code !== 'RS_CLOSED') this.violate(`once('${event}') rejected with ${show(error)}`);
      },
    ).finally(() => this.waiting--);
  }

  /** rotate() may reject (RS_ROTATION_FAILED): that is its documented answer, never a violation. */
  #rotate(): void {
    this.rotating++;
    this.stream.rotate().then(
      () => undefined,
      (error: unknown) => {
        if (!(error instanceof ResilientStreamError) || error.code !== 'RS_ROTATION_FAILED') this.violate(`rotate() rejected with ${show(error)}`);
      },
    ).finally(() => {
      this.rotating--;
      this.rotatedAt = Date.now();
    });
  }

  #send(): void {
    const id = this.nextSendId++;
    if (this.stream.send({ op: 'ping', id })) this.acceptedSends.add(id);
  }

  async execute(command: Command): Promise<void> {
    this.log.push(`[${this.step}] ${JSON.stringify(command)} (state ${this.stream.state})`);
    const { feed, stream } = this;
    switch (command.kind) {
      case 'start':
      case 'reconnect':
      case 'subscribe':
      case 'unsubscribe':
      case 'send':
      case 'listenData':
        if (command.kind === 'subscribe') return this.#guard(() => stream.subscribe(command.topic), 'subscribe');
        if (command.kind === 'unsubscribe') return this.#guard(() => stream.unsubscribe(command.topic), 'unsubscribe');
        return this.#call(command.kind, 'called directly');
      case 'close':
        return this.#close(command.code, command.longReason);
      case 'publish':
        for (let i = 0; i < command.count; i++) feed.publish(command.topic);
        return;
      case 'wait':
        return sleep(command.ms);
      case 'rotate':
        return this.#rotate();
      case 'pause':
        stream.pause();
        await sleep(command.ms);
        return stream.resume();
      case 'listener': {
        const { event, action } = command;
        stream.once(event, (payload: unknown) => {
          this.delivering = event === 'message' ? payload as JsonMessage : undefined;
          try {
            this.#call(action, `inside a '${event}' listener`);
          } finally {
            this.delivering = undefined;
          }
        });
        return;
      }
      case 'drop':
        return feed.faults.drop();
      case 'serverClose':
        return feed.faults.closeAll(command.code, 'model');
      case 'stall':
        feed.faults.stall();
        await sleep(command.ms);
        return feed.faults.resume();
      case 'freeze':
        feed.faults.freeze();
        await sleep(command.ms);
        return feed.faults.unfreeze();
      case 'rejectHandshakes':
        return feed.faults.rejectHandshakes(command.status, { count: command.count });
      case 'hangHandshakes':
        return feed.faults.hangHandshakes({ count: 1 });
      case 'restart':
        await feed.faults.stop();
        await sleep(command.downMs);
        return feed.faults.restart();
      case 'flap':
        return feed.faults.flap({ openMs: command.openMs, count: command.count });
      case 'duplicate':
        feed.faults.duplicate();
        return;
      case 'gap':
        return feed.faults.gap(2);
    }
  }

  #guard(fn: () => void, what: string): void {
    try {
      fn();
    } catch (error) {
      this.violate(`${what}() threw ${show(error)}`);
    }
  }

  /** Every invariant that must hold once a step has settled. */
  async check(where: string): Promise<void> {
    const { stream, feed } = this;
    const errors = takeUncaught();
    for (const error of errors) this.violate(error);
    if (stream.state !== this.state) this.violate(`stream.state is ${stream.state} but the last state event said ${this.state}`);
    const health = stream.health();
    if (health.reconnects !== this.reconnectingEvents) {
      this.violate(`health().reconnects is ${health.reconnects} but ${this.reconnectingEvents} 'reconnecting' events were emitted`);
    }
    if (this.config.resyncMs === false && health.messagesReceived !== this.delivered + health.duplicates) {
      this.violate(`health().messagesReceived is ${health.messagesReceived} but ${this.delivered} messages were delivered and ${health.duplicates} duplicates dropped`);
    }
    if (this.config.resyncMs !== false && this.delivered > health.messagesReceived) {
      this.violate(`${this.delivered} messages delivered but health().messagesReceived is ${health.messagesReceived}`);
    }
    this.#checkSends();
    if (this.dataExpected !== undefined && this.dataDelivered !== this.dataExpected) {
      this.violate(`'data' got ${this.dataDelivered} messages but 'message' got ${this.dataExpected} that pass isData since the data listener was added`);
    }
    // One socket per stream, and none unless the stream is dialing or live; sockets the client cut
    // get SOCKET_GRACE_MS to be gone from the server.
    // A rotation holds two sockets until the switch, and the retired one closes within closeTimeoutMs.
    const allowed = (): number => (this.rotating > 0 || Date.now() - this.rotatedAt < TIMINGS.closeTimeoutMs + SOCKET_GRACE_MS ? 2 : 1);
    const ok = await until(() => feed.connectionCount <= allowed() && (feed.connectionCount === 0 || LIVE_OR_DIALING.includes(stream.state)), SOCKET_GRACE_MS);
    if (!ok) this.violate(`${feed.connectionCount} server-side socket(s) open while the stream is ${stream.state}, ${SOCKET_GRACE_MS} ms after the step`);
    // An upgrade request sent before close() may still reach the server after it; a connection
    // accepted after close() resolved must be gone within the grace above (checked there).
    if (this.handshakesAtCloseResolved !== undefined && feed.connectionsAccepted > this.acceptedAtCloseResolved! + 1) {
      this.violate(`the server accepted ${feed.connectionsAccepted - this.acceptedAtCloseResolved!} connections after close() resolved`);
    }
    if (this.violations.length > 0) throw new InvariantViolation(`${this.violations.join('\n')}\n(${where})\n${this.story()}`);
  }

  /** Client pings the server saw: each one accepted by send(), none twice, in send order. */
  #checkSends(): void {
    let last = 0;
    const seen = new Set<number>();
    for (const { data } of this.feed.received) {
      if (data?.op !== 'ping' || typeof data.id !== 'number') continue;
      if (!this.acceptedSends.has(data.id)) this.violate(`the server received ping ${data.id}, which send() did not accept`);
      if (seen.has(data.id)) this.violate(`the server received ping ${data.id} twice`);
      if (data.id < last) this.violate(`the server received ping ${data.id} after ${last}`);
      seen.add(data.id);
      last = Math.max(last, data.id);
    }
  }

  /** close() (if the sequence did not), then: nothing left armed, no socket, no dial, nothing emitted. */
  async finish(): Promise<void> {
    this.step = -2;
    if (!this.closeCalled) this.#close(1000);
    const closed = await Promise.race([this.closePromise!.then(() => true), sleep(3_000).then(() => false)]);
    if (!closed) this.violate(`close() did not resolve within 3 s (state ${this.stream.state})`);
    await sleep(0);
    if (closed && this.stream.state !== 'closed') this.violate(`close() resolved but the state is ${this.stream.state}`);
    if (closed && !this.closedEmitted) this.violate(`close() resolved without a state -> closed event`);
    if (this.clock.armed !== 0) this.violate(`${this.clock.armed} stream timer(s) still armed after close() resolved`);
    if (!(await until(() => this.waiting === 0, 500))) this.violate(`${this.waiting} waitFor()/once() promise(s) still pending after close() resolved`);
    await sleep(QUIET_AFTER_CLOSE_MS);
    const gone = await until(() => this.feed.connectionCount === 0, SOCKET_GRACE_MS);
    if (!gone) this.violate(`${this.feed.connectionCount} server-side socket(s) still open after close()`);
    await this.check('after close()');
    await this.feed.close();
  }

  async tearDownQuietly(): Promise<void> {
    try {
      await Promise.race([this.stream?.close(), sleep(1_000)]);
    } catch {
      // the violation being reported matters more
    }
    await this.feed?.close().catch(() => undefined);
    await sleep(5);
    takeUncaught();
  }

  story(): string {
    const tail = this.log.length > 120 ? ['  …', ...this.log.slice(-120)] : this.log;
    return `config ${JSON.stringify(this.config)}\nstory (events indented under the step that preceded them):\n${tail.join('\n')}`;
  }
}

function summary(event: string, p: Record<string, any>): string {
  if (p === undefined || p === null) return '';
  if (event === 'state') return `${p.from}->${p.to} (${p.reason})`;
  if (event === 'error') return `${p.code}: ${String(p.message).slice(0, 140)}`;
  if (event === 'close') return `code ${p.code} willReconnect ${p.willReconnect}`;
  if (event === 'reconnecting') return `attempt ${p.attempt} delay ${Math.round(p.delayMs)}`;
  if (event === 'open') return `attempt ${p.attempt}`;
  if (event === 'stale') return p.kind;
  return '';
}

/** Describes any thrown value without throwing (null-prototype objects and symbols included). */
export function show(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return typeof value === 'symbol' ? value.toString() : String(JSON.stringify(value) ?? typeof value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Polls `condition` every 5 ms; true as soon as it holds, false after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (condition()) return true;
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
}
