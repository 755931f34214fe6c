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

/** What a rotation asks of its stream (which also hosts the replacement once it took over). */
export interface RotationHost<In, Out> extends ConnectionHost {
  readonly options: ResolvedOptions<In, Out>;
  readonly liveness: LivenessMonitor;
  readonly outbound: Outbound<Out>;
  /** Where delivered messages go (the sequence checks, or the listeners). */
  readonly sink: MessageSink<In>;
  topics(): string[];
  error(error: ResilientStreamError): void;
}

/** What a rotation tells whoever runs it. */
export interface RotationOutcome<In, Out> {
  /** Overlap is proven (or, past `overlapMs`, a resync can rebuild state): switch now. */
  proven(rotation: Rotation<In, Out>): void;
  failed(rotation: Rotation<In, Out>, error: ResilientStreamError): void;
  /** Drained messages reached the stream's pipeline: delivered, or dropped as duplicates. */
  received(count: number, duplicates: number): void;
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
  readonly #outcome: RotationOutcome<In, Out>;

  constructor(reason: RotationReason, attempt: number, mode: OverlapMode<In>, host: RotationHost<In, Out>, outcome: RotationOutcome<In, Out>) {
    const { options } = host;
    this.reason = reason;
    this.#host = host;
    this.#outcome = outcome;
    this.startedAt = options.clock.now();
    this.proof = new OverlapProof(mode);
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
      this.#outcome.received(1, 1);
      return;
    }
    this.#outcome.received(1, 0);
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
    if (this.#isLive && !this.#isDone && this.proof.verdict() === 'proven') this.#outcome.proven(this);
  }

  /**
   * No proof within `overlapMs`. With `sequence` and a `resync` hook, a replacement that starts
   * past a gap still takes over (the hook rebuilds state on it); otherwise the rotation fails.
   */
  #timedOut(overlapMs: number): void {
    this.#deadline = undefined;
    if (this.#isDone) return;
    const { sequence, resync } = this.#host.options;
    if (this.#isLive && this.proof.verdict() === 'ahead' && sequence !== undefined && resync !== undefined) return this.#outcome.proven(this);
    this.#fail(`the replacement did not prove overlap with the current socket within ${overlapMs} ms (rotate.overlapMs)`);
  }

  #fail(why: string, cause?: unknown): void {
    if (this.#isDone) return;
    this.dispose(false);
    this.#outcome.failed(this, new ResilientStreamError('RS_ROTATION_FAILED', `Rotation (${this.reason}) failed: ${why}; the current socket stays.`, { cause }));
  }
}

const DEFAULT_OVERLAP_MS = 10_000;
