import { backoffDelay } from './backoff.js';
import { Connection, type ConnectionHost } from './connection.js';
import type { ConnectionEnd } from './connection-end.js';
import { ResilientStreamError } from './errors.js';
import type { RotatedEvent } from './events.js';
import { Inbound, type InboundHost, type MessageSink } from './inbound.js';
import type { LivenessMonitor } from './liveness.js';
import type { Outbound } from './outbound.js';
import { OverlapProof, type OverlapMode } from './overlap.js';
import type { ResolvedOptions } from './resolve-options.js';

export type RotationReason = RotatedEvent['reason'];

/** Topics still to catch up after a key-mode switch, and what to do then. */
interface Draining {
  readonly groups: Set<string>;
  readonly done: () => void;
}

/** What rotations ask of their stream (which also hosts the replacement once it took over). */
export interface RotationHost<In, Out> extends ConnectionHost {
  readonly options: ResolvedOptions<In, Out>;
  readonly liveness: LivenessMonitor;
  readonly outbound: Outbound<Out>;
  /** The replacement starts paused while the stream is paused. */
  readonly isPaused: boolean;
  /** How the replacement proves it meets the current socket. */
  overlapMode(): OverlapMode<In>;
  /** The stream's socket, when it is live and `open` (a rotation needs one to replace). */
  rotatable(): Connection | undefined;
  topics(): string[];
  /** Make the replacement the stream's socket: retire the old one, replay, then {@link Rotation.drainInto}. */
  switchTo(rotation: Rotation<In, Out>): void;
  /** Where delivered messages go (the sequence checks, or the listeners). */
  readonly sink: MessageSink<In>;
  error(error: ResilientStreamError): void;
}

/**
 * One make-before-break rotation: dials a replacement, subscribes it, buffers what it delivers
 * until the {@link OverlapProof} holds, then asks the stream to switch. Fails (and drops the
 * replacement) if it is refused, closes, or cannot prove overlap within `overlapMs`.
 */
export class Rotation<In, Out> implements ConnectionHost, MessageSink<In>, InboundHost {
  readonly reason: RotationReason;
  readonly startedAt: number;
  readonly replacement: Connection;
  readonly proof: OverlapProof<In>;
  #isLive = false;
  #isDone = false;
  /** The replacement took over: its socket's events go to the stream from now on. */
  #isAdopted = false;
  /** Key mode after the switch: replacement messages the old socket delivered are still dropped here until it caught up. */
  #draining: Draining | undefined;
  #drainDropped = 0;
  #deadline: unknown;
  readonly #host: RotationHost<In, Out>;
  readonly #onFailed: (rotation: Rotation<In, Out>, error: ResilientStreamError) => void;

  constructor(reason: RotationReason, attempt: number, host: RotationHost<In, Out>, onFailed: (rotation: Rotation<In, Out>, error: ResilientStreamError) => void) {
    const { options } = host;
    this.reason = reason;
    this.#host = host;
    this.#onFailed = onFailed;
    this.startedAt = options.clock.now();
    this.proof = new OverlapProof(host.overlapMode());
    const inbound = new Inbound<In>(options, host.liveness, this, this);
    this.replacement = new Connection(attempt, true, options, this, inbound);
    const overlapMs = options.rotate === false ? DEFAULT_OVERLAP_MS : options.rotate.overlapMs;
    this.#deadline = options.clock.setTimeout(() => this.#timedOut(overlapMs), overlapMs);
    this.replacement.dial();
  }

  /** True once the replacement is subscribed: it can take over. */
  get isLive(): boolean {
    return this.#isLive;
  }

  /** The current socket delivered `message`: it may be the one the replacement must meet. */
  delivered(message: In, topic: string | undefined): void {
    this.proof.delivered(message, topic);
    this.#check();
  }

  /** Duplicates dropped while draining (key mode). */
  get drainDropped(): number {
    return this.#drainDropped;
  }

  /** Stops for good: the deadline, and the replacement unless it took over. */
  dispose(tookOver: boolean): void {
    this.#isDone = true;
    this.#isAdopted = tookOver;
    this.#host.options.clock.clearTimeout(this.#deadline);
    if (!tookOver) this.replacement.dispose(undefined);
  }

  /**
   * After the switch: the replacement's messages keep passing through here, minus those the old
   * socket delivered, until every topic brought one it had not (key mode only; sequence mode
   * and first-data call `done` at once).
   */
  drainInto(done: () => void): void {
    const groups = this.proof.pendingGroups();
    if (groups.size === 0) return done();
    this.#draining = { groups, done };
  }

  // ── the replacement's ConnectionHost, MessageSink and InboundHost ──────────────────────────

  owns(connection: Connection): boolean {
    return this.#isAdopted ? this.#host.owns(connection) : connection === this.replacement && !this.#isDone;
  }

  get isPaused(): boolean {
    return this.#host.isPaused;
  }

  opened(connection: Connection): void {
    void this.#subscribe(connection);
  }

  controlFrame(): void {
    if (this.#isAdopted) this.#host.controlFrame();
  }

  pinged(connection: Connection, data: Uint8Array): void {
    if (connection.transport !== undefined) this.#host.outbound.pong(connection.transport, data);
  }

  ended(connection: Connection, end: ConnectionEnd): void {
    if (this.#isAdopted) return this.#host.ended(connection, end);
    this.#fail(`the replacement socket ended before taking over: ${end.error?.message ?? `code ${end.code ?? 1006}`}`, end.error);
  }

  deliver(message: In, topic: string | undefined, isData: boolean): void {
    const draining = this.#draining;
    if (draining !== undefined) return this.#drain(draining, message, topic, isData);
    if (this.#isDone) return;
    this.proof.add({ message, topic, isData });
    this.#check();
  }

  #drain(draining: Draining, message: In, topic: string | undefined, isData: boolean): void {
    if (this.proof.wasDelivered(message)) {
      this.#drainDropped++;
      return;
    }
    draining.groups.delete(topic ?? '');
    this.#host.sink.deliver(message, topic, isData);
    if (draining.groups.size > 0 || this.#draining !== draining) return;
    this.#draining = undefined;
    draining.done();
  }

  error(error: ResilientStreamError): void {
    this.#host.error(error);
  }

  recycle(error: ResilientStreamError): void {
    this.#fail(error.message, error);
  }

  // ─────────────────────────────────────────────────────────────────────────────────────────────

  async #subscribe(connection: Connection): Promise<void> {
    const target = {
      transport: connection.transport, attempt: connection.attempt, isReconnect: true,
      isCurrent: () => !this.#isDone,
      fail: (error: ResilientStreamError) => this.#fail(error.message, error),
    };
    if (!(await this.#host.outbound.subscribe(this.#host.topics(), target, true)) || this.#isDone) return;
    connection.markLive();
    this.#isLive = true;
    this.#check();
  }

  #check(): void {
    if (this.#isLive && !this.#isDone && this.proof.verdict() === 'proven') this.#host.switchTo(this);
  }

  /**
   * No proof within `overlapMs`. With `sequence` and a `resync` hook, a replacement that starts
   * past a gap still takes over (the hook rebuilds state on it); otherwise the rotation fails.
   */
  #timedOut(overlapMs: number): void {
    this.#deadline = undefined;
    if (this.#isDone) return;
    const { sequence, resync } = this.#host.options;
    if (this.#isLive && this.proof.verdict() === 'ahead' && sequence !== undefined && resync !== undefined) return this.#host.switchTo(this);
    this.#fail(`the replacement did not prove overlap with the current socket within ${overlapMs} ms (rotate.overlapMs)`);
  }

  #fail(why: string, cause?: unknown): void {
    if (this.#isDone) return;
    this.dispose(false);
    this.#onFailed(this, new ResilientStreamError('RS_ROTATION_FAILED', `Rotation (${this.reason}) failed: ${why}; the current socket stays.`, { cause }));
  }
}

const DEFAULT_OVERLAP_MS = 10_000;

/**
 * Schedules and runs rotations, one at a time: the age point of each live socket (drawn uniformly
 * in [0.9, 1] x `maxAgeMs`, so a fleet does not rotate at once), notices, `rotate()`, and retries
 * with backoff after a failed age or notice rotation. Keeps retired sockets until they are gone.
 */
export class Rotator<In, Out> {
  readonly #host: RotationHost<In, Out>;
  #rotation: Rotation<In, Out> | undefined;
  #waiters: Array<{ resolve(): void; reject(error: unknown): void }> = [];
  #timer: unknown;
  #failures = 0;
  readonly #retiring = new Set<Connection>();

  constructor(host: RotationHost<In, Out>) {
    this.#host = host;
  }

  /** The rotation under way, if any. */
  get current(): Rotation<In, Out> | undefined {
    return this.#rotation;
  }

  /** Starts a rotation (or joins the one under way); the promise settles when delivery switched or it failed. */
  rotate(reason: RotationReason): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#begin(reason);
    });
  }

  /** A socket went live (or took over): arm its age rotation. */
  live(connection: Connection): void {
    const rotate = this.#host.options.rotate;
    this.#clearTimer();
    if (rotate === false || rotate.maxAgeMs === undefined || connection.openedAt === undefined) return;
    const { clock, random } = this.#host.options;
    const ageMs = rotate.maxAgeMs * (0.9 + 0.1 * random());
    this.#arm(Math.max(0, connection.openedAt + ageMs - clock.now()), 'age');
  }

  /** The rotation took over: settle it and forget it. */
  switched(rotation: Rotation<In, Out>): void {
    this.#rotation = undefined;
    this.#failures = 0;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve();
  }

  /** Keeps a retired socket until its polite close had `closeTimeoutMs`, then cuts it. */
  retire(connection: Connection): void {
    this.#retiring.add(connection);
    connection.retire(this.#host.options.closeTimeoutMs, () => {
      connection.dispose(undefined);
      this.#retiring.delete(connection);
    });
  }

  /** The stream's socket is gone (or the stream closes): drop any rotation and timer, reject waiters. */
  abandon(why: string): void {
    this.#clearTimer();
    const rotation = this.#rotation;
    this.#rotation = undefined;
    rotation?.dispose(false);
    const error = new ResilientStreamError('RS_ROTATION_FAILED', `Rotation abandoned: ${why}.`);
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }

  /** close(): everything, retired sockets included, is released now. */
  stop(): void {
    this.abandon('close() was called');
    for (const connection of this.#retiring) connection.dispose(undefined);
    this.#retiring.clear();
  }

  #begin(reason: RotationReason): void {
    if (this.#rotation !== undefined) return;
    const current = this.#host.rotatable();
    if (current === undefined) {
      const error = new ResilientStreamError('RS_ROTATION_FAILED', 'Expected an open stream to rotate, but it has no live socket.');
      for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
      return;
    }
    this.#clearTimer();
    this.#rotation = new Rotation<In, Out>(reason, current.attempt, this.#host, (rotation, error) => this.#failed(rotation, error));
  }

  #failed(rotation: Rotation<In, Out>, error: ResilientStreamError): void {
    if (this.#rotation !== rotation) return;
    this.#rotation = undefined;
    this.#host.error(error);
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
    // A manual rotation is the caller's to retry; age and notice rotations retry with backoff.
    if (rotation.reason === 'manual') return;
    const { backoff, random } = this.#host.options;
    this.#arm(backoffDelay(++this.#failures, backoff, random), rotation.reason);
  }

  #arm(delayMs: number, reason: RotationReason): void {
    const { clock } = this.#host.options;
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      this.#begin(reason);
    }, delayMs);
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    this.#host.options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

