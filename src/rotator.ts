import { backoffDelay, checkedRandom } from './backoff.js';
import type { Connection } from './connection.js';
import { describe, ResilientStreamError } from './errors.js';
import type { RotatedEvent } from './events.js';
import type { RotateOptions } from './options.js';
import type { FrameReceiver } from './transport.js';
import type { OverlapMode } from './overlap.js';
import { Rotation, type RotationHost, type RotationOutcome, type RotationReason } from './rotation.js';
import { toRange } from './sequence.js';

/** What the rotator asks of its stream, beyond what one rotation needs. */
/** How a misbehaving release function is named in RS_LISTENER messages. */
const RELEASE = "rotate.acquire's release function";

export interface RotatorHost<In, Out> extends RotationHost<In, Out> {
  /** The stream's socket, when it is live and `open` (a rotation needs one to replace). */
  rotatable(): Connection | undefined;
  /** Makes `replacement` the stream's socket (liveness restarts on it); returns the one it replaced. */
  adopt(replacement: Connection): Connection | undefined;
  /** The stream's own inbound pipeline, where the replacement reads once delivery has switched. */
  readonly inbound: FrameReceiver;
  /** The last delivered sequence number of a tracker key (sequence streams only). */
  lastSequence(key: string): number | undefined;
  /** Duplicates the sequence checks dropped so far. */
  duplicates(): number;
  /** Overlap could not be proven on a sequenced stream: rebuild state with the resync hook. */
  resync(): void;
  rotated(event: RotatedEvent): void;
  /** Messages the replacement decoded reached the stream's pipeline. */
  received(count: number): void;
}

/**
 * Schedules and runs rotations, one at a time: the age point of each live socket (drawn uniformly
 * in [0.9, 1] x `maxAgeMs`, so a fleet does not rotate at once), notices, `rotate()`, retries with
 * backoff after a failed age or notice rotation, and the switch itself. Keeps retired sockets
 * until they are gone.
 */
export class Rotator<In, Out> implements RotationOutcome<In, Out> {
  /** Completed rotations. */
  count = 0;
  /** Messages rotations dropped by `dedupeKey` (the sequence checks count their own). */
  duplicates = 0;
  readonly #host: RotatorHost<In, Out>;
  readonly #isNotice: ((message: In) => boolean) | undefined;
  /** `options.random`, each draw checked. */
  readonly #random: () => number;
  #rotation: Rotation<In, Out> | undefined;
  #waiters: Array<{ resolve(): void; reject(error: unknown): void }> = [];
  #timer: unknown;
  #failures = 0;
  readonly #retiring = new Set<Connection>();
  /** While `rotate.acquire` is awaited: aborting it gives the lock up. */
  #acquiring: AbortController | undefined;
  /** Gives back what `rotate.acquire` granted for the rotation under way. */
  #release: (() => void) | undefined;

  constructor(host: RotatorHost<In, Out>) {
    this.#host = host;
    const { rotate } = host.options;
    this.#isNotice = rotate === false ? undefined : rotate.isNotice;
    this.#random = checkedRandom(host.options.random, (error) => host.error(error));
  }

  /** The rotation under way, if any. */
  get current(): Rotation<In, Out> | undefined {
    return this.#rotation;
  }

  /** Starts a rotation (or joins the one under way); settles when delivery switched or it failed. */
  rotate(reason: RotationReason): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#begin(reason);
    });
  }

  /** The stream delivered `message` from its socket: a rotation may be waiting to meet it; it may be a notice. */
  delivered(message: In, topic: string | undefined): void {
    this.#rotation?.delivered(message, topic);
    if (this.#isNotice !== undefined && this.#reported('rotate.isNotice', () => this.#isNotice!(message)) === true) {
      void this.rotate('notice').catch(() => {}); // reported as an `error` event already
    }
  }

  /** A socket went live (or took over): arm its age rotation. */
  live(connection: Connection): void {
    const { rotate, clock } = this.#host.options;
    this.#clearTimer();
    if (rotate === false || rotate.maxAgeMs === undefined || connection.openedAt === undefined) return;
    const ageMs = rotate.maxAgeMs * (0.9 + 0.1 * this.#random());
    this.#arm(Math.max(0, connection.openedAt + ageMs - clock.now()), 'age');
  }

  /**
   * Delivery moves to the replacement: the old socket (unless it already died) retires with 1000
   * and says nothing more; what the replacement buffered is replayed through the usual pipeline,
   * which drops what was delivered already. No `close`, `open` or `reconnecting`.
   */
  proven(rotation: Rotation<In, Out>, hasTakenOver = false): void {
    const host = this.#host;
    const previous = host.adopt(rotation.replacement);
    rotation.dispose(true);
    if (previous !== undefined && !hasTakenOver) this.#retire(previous);
    const duplicatesBefore = host.duplicates();
    const gapless = rotation.proof.isGapless;
    const { items, dropped } = rotation.proof.replay();
    this.received(items.length + dropped, dropped);
    for (const item of items) {
      // A listener may replace the socket mid-replay; the rotation is over then.
      if (!host.owns(rotation.replacement)) return;
      host.sink.deliver(item.message, item.topic, item.isData);
    }
    rotation.drainInto(() => this.#switched(rotation, dropped - duplicatesBefore, gapless));
  }

  received(count: number, duplicates: number): void {
    this.duplicates += duplicates;
    this.#host.received(count);
  }

  failed(rotation: Rotation<In, Out>, error: ResilientStreamError): void {
    if (this.#rotation !== rotation) return;
    this.#rotation = undefined;
    this.#giveBack();
    this.#host.error(error);
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
    // A manual rotation is the caller's to retry; age and notice rotations retry with backoff.
    if (rotation.reason === 'manual') return;
    this.#arm(backoffDelay(++this.#failures, this.#host.options.backoff, this.#random), rotation.reason);
  }

  /** The stream's socket is gone: drop any rotation and timer, reject waiters. */
  abandon(why: string): void {
    this.#clearTimer();
    this.#acquiring?.abort(new ResilientStreamError('RS_ROTATION_FAILED', `Rotation abandoned: ${why}.`));
    this.#acquiring = undefined;
    const rotation = this.#rotation;
    this.#rotation = undefined;
    rotation?.dispose(false);
    this.#giveBack();
    const error = new ResilientStreamError('RS_ROTATION_FAILED', `Rotation abandoned: ${why}.`);
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }

  /** close(): everything, retired sockets included, is released now. */
  stop(): void {
    this.abandon('close() was called');
    for (const connection of this.#retiring) connection.dispose(undefined);
    this.#retiring.clear();
  }

  /** Delivery fully moved (key mode: after draining): the replacement reads straight into the pipeline. */
  #switched(rotation: Rotation<In, Out>, dropped: number, gapless: boolean): void {
    const host = this.#host;
    const replacement = rotation.replacement;
    const transport = replacement.transport;
    if (!host.owns(replacement) || transport === undefined) return;
    transport.redirect(host.inbound);
    host.outbound.flush(transport);
    this.count++;
    this.#rotation = undefined;
    this.#giveBack();
    this.#failures = 0;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve();
    this.live(replacement);
    // Overlap not proven on a sequenced stream: the resync hook rebuilds state on the new socket.
    if (!gapless && host.options.sequence !== undefined) host.resync();
    const duplicatesDropped = dropped + rotation.drainDropped + host.duplicates();
    host.rotated({ reason: rotation.reason, overlapMs: host.options.clock.now() - rotation.startedAt, duplicatesDropped, gapless });
  }

  /** Keeps a retired socket until its polite close had `closeTimeoutMs`, then cuts it. */
  #retire(connection: Connection): void {
    this.#retiring.add(connection);
    connection.retire(this.#host.options.closeTimeoutMs, () => {
      connection.dispose(undefined);
      this.#retiring.delete(connection);
    });
  }

  #begin(reason: RotationReason): void {
    if (this.#rotation !== undefined || this.#acquiring !== undefined) return;
    const current = this.#host.rotatable();
    if (current === undefined) {
      const error = new ResilientStreamError('RS_ROTATION_FAILED', 'Expected an open stream to rotate, but it has no live socket.');
      for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
      return;
    }
    this.#clearTimer();
    const acquire = this.#host.options.rotate === false ? undefined : this.#host.options.rotate.acquire;
    if (acquire === undefined) return this.#dial(reason, current);
    void this.#acquire(acquire, reason);
  }

  /** Waits for the shared lock, then rotates if the stream is still rotatable; a lock that fails is a failed rotation. */
  async #acquire(acquire: NonNullable<RotateOptions['acquire']>, reason: RotationReason): Promise<void> {
    const acquiring = (this.#acquiring = new AbortController());
    const release = await grantOf(acquire, acquiring.signal, reason);
    if (release instanceof ResilientStreamError) {
      if (this.#acquiring !== acquiring) return;
      this.#acquiring = undefined;
      this.#host.error(release);
      for (const waiter of this.#waiters.splice(0)) waiter.reject(release);
      return;
    }
    const current = this.#host.rotatable();
    if (this.#acquiring !== acquiring || current === undefined) {
      this.#reported(RELEASE, release);
      return;
    }
    this.#acquiring = undefined;
    this.#release = release;
    this.#dial(reason, current);
  }

  #dial(reason: RotationReason, current: Connection): void {
    this.#rotation = new Rotation<In, Out>(reason, current.attempt, this.#overlapMode(), this.#host, this);
  }

  /** The rotation is over: the shared lock (if any) goes back. A throwing release is reported, never ours to crash on. */
  #giveBack(): void {
    const release = this.#release;
    this.#release = undefined;
    if (release !== undefined) this.#reported(RELEASE, release);
  }

  /** How a replacement proves overlap: by `sequence`, else `dedupeKey`, else its first data message. */
  #overlapMode(): OverlapMode<In> {
    const { sequence, topicOf, dedupeKey } = this.#host.options;
    if (sequence !== undefined) {
      return {
        kind: 'sequence',
        rangeOf: (message, topic) => {
          const range = toRange(guard(() => sequence(message)));
          return range === undefined || range === 'invalid' ? undefined : { key: topicOf === undefined ? '' : topic ?? '', first: range[0], last: range[1] };
        },
        lastOf: (key) => this.#host.lastSequence(key),
      };
    }
    if (dedupeKey !== undefined) return { kind: 'key', keyOf: (message) => this.#reported('dedupeKey', () => dedupeKey(message)) };
    return { kind: 'first-data' };
  }

  /** A user function's answer; a throw is reported as RS_LISTENER and counts as no answer. */
  #reported<R>(name: string, call: () => R): R | undefined {
    try {
      return call();
    } catch (cause) {
      this.#host.error(new ResilientStreamError('RS_LISTENER', `${name} threw: ${describe(cause)}`, { cause, event: name }));
      return undefined;
    }
  }

  #arm(delayMs: number, reason: RotationReason): void {
    this.#timer = this.#host.options.clock.setTimeout(() => {
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

/** The extractor's answer during a rotation; a throw counts as none (the sequence checks report it when the message is replayed). */
function guard<R>(call: () => R): R | undefined {
  try {
    return call();
  } catch {
    return undefined;
  }
}

/** What `rotate.acquire` granted: its release function, or the error that fails the rotation (it rejected, or gave no function). */
async function grantOf(acquire: NonNullable<RotateOptions['acquire']>, signal: AbortSignal, reason: RotationReason): Promise<(() => void) | ResilientStreamError> {
  try {
    const release = await acquire({ signal });
    // Typed as a function, but a hook may resolve with anything.
    if (typeof release === 'function') return release;
    return new ResilientStreamError('RS_ROTATION_FAILED',
      `Rotation (${reason}) failed: expected rotate.acquire to resolve with a release function, got ${describe(release)}.`);
  } catch (cause) {
    return new ResilientStreamError('RS_ROTATION_FAILED', `Rotation (${reason}) failed: rotate.acquire rejected.`, { cause });
  }
}
