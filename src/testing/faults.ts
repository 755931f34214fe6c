import type { FeedConnection } from './connection.js';
import { check, isSendableCloseCode } from './options.js';

/** An HTTP answer that replaces the WebSocket upgrade. */
export interface HandshakeRejection {
  status: number;
  headers: Record<string, string>;
}

/** Options of {@link FeedFaults.rejectHandshakes}. */
export interface RejectHandshakesOptions {
  /** How many upcoming upgrade requests to refuse. @default 1 */
  count?: number;
  /** Extra response headers; 429 and 503 get `Retry-After: 1` unless you set it. @default {} */
  headers?: Record<string, string>;
}

/** Options of {@link FeedFaults.flap}. */
export interface FlapOptions {
  /** How long each new connection lives before it is dropped, in ms. */
  openMs: number;
  /** How many new connections to drop this way. @default Infinity */
  count?: number;
}

/** Options of {@link FeedFaults.stop}. */
export interface StopOptions {
  /** Send this close code first instead of dropping connections abruptly (1006). @default undefined */
  code?: number;
  /** Listen again on the same port after this many ms (required over HTTP: a stopped server cannot hear /control/restart). @default undefined */
  restartAfterMs?: number;
}

/** Options of {@link FeedFaults.notice}. */
export interface NoticeOptions {
  /** Only this connection gets the notice (and the close). @default every connection */
  connectionId?: number;
  /** Close the notified connections this long after the notice, in ms; connections opened later are spared. @default no close */
  closeAfterMs?: number;
  /** Close code of that close. @default 1001 */
  code?: number;
  /** Close reason of that close. @default 'Server shutting down' */
  reason?: string;
}

/** Which faults are active, as reported by `feed.state()` and `GET /control/state`. */
export interface FaultState {
  stalled: boolean;
  heartbeatsOnly: boolean;
  frozenConnections: number[];
  pendingGaps: Record<string, number>;
  pendingRejections: number;
  pendingHangs: number;
  flap: { openMs: number; remaining: number | null } | null;
  pendingStaleSnapshots: number;
}

/** What the fault switchboard needs from the server: a narrow view, never the whole server. */
export interface FaultHost {
  connections(): Iterable<FeedConnection>;
  /** Every source known now (subscribed, published or listed in `topics`). */
  sources(): Iterable<string>;
  sourceOf(topic: string): string;
  /** Resends the last message of each given source; returns how many frames went out. */
  duplicate(sources: Iterable<string>): number;
  heartbeatsChanged(): void;
  stop(options: StopOptions): Promise<void>;
  restart(): Promise<void>;
  /** The dialect's shutdown notice, stamped now. */
  shutdownNotice(): object;
}

/**
 * The fault switchboard: every method is one production failure, described by what a client
 * observes. Methods act immediately; "pending" faults apply to the next message or handshake.
 */
export class FeedFaults {
  readonly #host: FaultHost;
  readonly #defaultHeartbeatMs: number;
  #stalled = false;
  #forcedHeartbeatMs: number | undefined;
  readonly #gaps = new Map<string, number>();
  #rejection: (HandshakeRejection & { remaining: number }) | undefined;
  #hangs = 0;
  #flap: { openMs: number; remaining: number } | undefined;
  #staleSnapshots = 0;

  /**
   * @internal Created by the feed server.
   * @param defaultHeartbeatMs - Interval heartbeatsOnly() uses when not given one.
   */
  constructor(host: FaultHost, defaultHeartbeatMs: number) {
    this.#host = host;
    this.#defaultHeartbeatMs = defaultHeartbeatMs;
  }

  /** Silent stall: the socket stays open and pings (protocol and app) are answered, but no data or heartbeats arrive. Messages generated meanwhile are lost. */
  stall(): void {
    this.#stalled = true;
    this.#setForcedHeartbeat(undefined);
  }

  /** Ends stall() and heartbeatsOnly(): data flows again from the current sequence (the client sees a jump). */
  resume(): void {
    this.#stalled = false;
    this.#setForcedHeartbeat(undefined);
  }

  /** Like stall(), but app heartbeats keep flowing (forced on every `intervalMs`; default: `heartbeatIntervalMs`, or 1000 when that is `false`). */
  heartbeatsOnly(options: { intervalMs?: number } = {}): void {
    const intervalMs = options.intervalMs ?? this.#defaultHeartbeatMs;
    check('intervalMs', intervalMs, Number.isFinite(intervalMs) && intervalMs > 0, 'a finite number > 0');
    this.#stalled = true;
    this.#setForcedHeartbeat(intervalMs);
  }

  /** Silently stops sending the topic to its current subscribers; a client that subscribes to it again gets it again. */
  dropTopic(topic: string): void {
    const source = this.#host.sourceOf(topic);
    for (const connection of this.#host.connections()) connection.mute(source);
  }

  /** Half-open: the server stops reading (no pongs) and sending on every current connection (or one), without closing. New connections work. */
  freeze(connectionId?: number): void {
    for (const connection of this.#select(connectionId)) connection.freeze();
  }

  /** Ends freeze(): reading and sending resume on every frozen connection. */
  unfreeze(): void {
    for (const connection of this.#host.connections()) connection.unfreeze();
  }

  /** Abrupt drop without a close frame: the client sees close code 1006. */
  drop(connectionId?: number): void {
    for (const connection of this.#select(connectionId)) connection.drop();
  }

  /** Closes every connection with a close frame carrying `code` and `reason`. */
  closeAll(code = 1000, reason = ''): void {
    check('code', code, isSendableCloseCode(code), 'a close code from 1000-1003, 1007-1014 or 3000-4999');
    check('reason', reason, typeof reason === 'string' && Buffer.byteLength(reason) <= 123, 'a string of at most 123 bytes');
    for (const connection of this.#host.connections()) connection.close(code, reason);
  }

  /** Skips `count` messages (sequence numbers, trade ids, depth events) before the next message of `topic`, or of every topic that exists now. */
  gap(count = 1, topic?: string): void {
    check('count', count, Number.isInteger(count) && count > 0, 'an integer > 0');
    const sources = topic === undefined ? [...this.#host.sources()] : [this.#host.sourceOf(topic)];
    for (const source of sources) this.#gaps.set(source, (this.#gaps.get(source) ?? 0) + count);
  }

  /** Resends the last message of `topic` (or of every topic) to its subscribers now; returns the frames sent. */
  duplicate(topic?: string): number {
    const sources = topic === undefined ? [...this.#host.sources()] : [this.#host.sourceOf(topic)];
    return this.#host.duplicate(sources);
  }

  /** Answers the next `count` upgrade requests with this HTTP status instead of 101; ws clients emit `unexpected-response`. */
  rejectHandshakes(status: number, options: RejectHandshakesOptions = {}): void {
    const { count = 1, headers = {} } = options;
    check('status', status, Number.isInteger(status) && status >= 300 && status <= 599, 'an HTTP status from 300 to 599');
    check('count', count, Number.isInteger(count) && count > 0, 'an integer > 0');
    const retryAfterSet = Object.keys(headers).some((name) => name.toLowerCase() === 'retry-after');
    const defaults: Record<string, string> = (status === 429 || status === 503) && !retryAfterSet ? { 'Retry-After': '1' } : {};
    this.#rejection = { status, headers: { ...defaults, ...headers }, remaining: count };
  }

  /** Accepts the TCP connection of the next `count` upgrade requests but never answers them. */
  hangHandshakes(options: { count?: number } = {}): void {
    const { count = 1 } = options;
    check('count', count, Number.isInteger(count) && count > 0, 'an integer > 0');
    this.#hangs = count;
  }

  /** Drops each of the next `count` new connections abruptly `openMs` after it opens; `flap(false)` stops and spares connections still waiting. */
  flap(options: FlapOptions | false): void {
    if (options === false) {
      this.#flap = undefined;
      for (const connection of this.#host.connections()) connection.cancelDrop();
      return;
    }
    const { openMs, count = Infinity } = options;
    check('openMs', openMs, Number.isFinite(openMs) && openMs >= 0, 'a finite number >= 0');
    check('count', count, count === Infinity || (Number.isInteger(count) && count > 0), 'an integer > 0 or Infinity');
    this.#flap = { openMs, remaining: count };
  }

  /**
   * Closes the listener and every connection (abruptly unless `code`); connects are refused until restart().
   * @throws TypeError (synchronously) for an unsendable `code` or a bad `restartAfterMs`.
   */
  stop(options: StopOptions = {}): Promise<void> {
    validateStopOptions(options);
    return this.#host.stop(options);
  }

  /** Listens again on the same port. */
  restart(): Promise<void> {
    return this.#host.restart();
  }

  /** Makes the next `count` REST snapshots (Binance) older than every streamed event, so a client must fetch again. */
  staleSnapshot(count = 1): void {
    check('count', count, Number.isInteger(count) && count > 0, 'an integer > 0');
    this.#staleSnapshots = count;
  }

  /** Sends the dialect's shutdown notice (Binance `{"e":"serverShutdown"}`, JSON `{"op":"shutdown"}`) to every connection. */
  shutdownNotice(): void {
    this.notice();
  }

  /**
   * A venue's shutdown notice: the dialect's notice to every connection (or one), then, with
   * `closeAfterMs`, a close of those connections that long later (1001 unless `code`). Connections
   * opened after the notice are spared, so a client that moves over in time loses nothing.
   */
  notice(options: NoticeOptions = {}): void {
    const { connectionId, closeAfterMs, code = 1001, reason = 'Server shutting down' } = options;
    check('connectionId', connectionId, connectionId === undefined || Number.isInteger(connectionId), 'an integer');
    check('closeAfterMs', closeAfterMs, closeAfterMs === undefined || (Number.isFinite(closeAfterMs) && closeAfterMs >= 0), 'a finite number >= 0');
    check('code', code, isSendableCloseCode(code), 'a close code from 1000-1003, 1007-1014 or 3000-4999');
    check('reason', reason, typeof reason === 'string' && Buffer.byteLength(reason) <= 123, 'a string of at most 123 bytes');
    const text = JSON.stringify(this.#host.shutdownNotice());
    for (const connection of this.#select(connectionId)) {
      connection.send(text);
      if (closeAfterMs !== undefined) connection.scheduleClose(closeAfterMs, code, reason);
    }
  }

  /** Removes every fault: resumes, unfreezes, unmutes, forgets pending gaps, rejections, hangs, flaps, stale snapshots and notices' closes. A stopped server stays stopped. */
  clear(): void {
    this.#stalled = false;
    this.#gaps.clear();
    this.#rejection = undefined;
    this.#hangs = 0;
    this.#staleSnapshots = 0;
    this.flap(false);
    for (const connection of this.#host.connections()) {
      connection.unfreeze();
      connection.unmuteAll();
      connection.cancelClose();
    }
    this.#setForcedHeartbeat(undefined);
  }

  /** @internal Whether data is being withheld (stall or heartbeatsOnly). */
  get stalled(): boolean {
    return this.#stalled;
  }

  /** @internal The forced heartbeat interval while heartbeatsOnly() is on. */
  get forcedHeartbeatMs(): number | undefined {
    return this.#forcedHeartbeatMs;
  }

  /** @internal Consumes the pending gap of a source. */
  takeGap(source: string): number {
    const count = this.#gaps.get(source) ?? 0;
    this.#gaps.delete(source);
    return count;
  }

  /** @internal Consumes one pending hang. */
  takeHang(): boolean {
    if (this.#hangs === 0) return false;
    this.#hangs -= 1;
    return true;
  }

  /** @internal Consumes one pending rejection. */
  takeRejection(): HandshakeRejection | undefined {
    const rejection = this.#rejection;
    if (!rejection) return undefined;
    rejection.remaining -= 1;
    if (rejection.remaining === 0) this.#rejection = undefined;
    return { status: rejection.status, headers: rejection.headers };
  }

  /** @internal Consumes one flap; returns how long the new connection may live. */
  takeFlap(): number | undefined {
    const flap = this.#flap;
    if (!flap) return undefined;
    flap.remaining -= 1;
    if (flap.remaining <= 0) this.#flap = undefined;
    return flap.openMs;
  }

  /** @internal Consumes one stale snapshot. */
  takeStaleSnapshot(): boolean {
    if (this.#staleSnapshots === 0) return false;
    this.#staleSnapshots -= 1;
    return true;
  }

  /** A plain description of the active faults. */
  state(): FaultState {
    const frozen = [...this.#host.connections()].filter((c) => c.frozen).map((c) => c.id);
    const flap = this.#flap;
    return {
      stalled: this.#stalled,
      heartbeatsOnly: this.#forcedHeartbeatMs !== undefined,
      frozenConnections: frozen,
      pendingGaps: Object.fromEntries(this.#gaps),
      pendingRejections: this.#rejection?.remaining ?? 0,
      pendingHangs: this.#hangs,
      flap: flap ? { openMs: flap.openMs, remaining: Number.isFinite(flap.remaining) ? flap.remaining : null } : null,
      pendingStaleSnapshots: this.#staleSnapshots,
    };
  }

  #select(connectionId: number | undefined): FeedConnection[] {
    const all = [...this.#host.connections()];
    return connectionId === undefined ? all : all.filter((c) => c.id === connectionId);
  }

  #setForcedHeartbeat(intervalMs: number | undefined): void {
    if (this.#forcedHeartbeatMs === intervalMs) return;
    this.#forcedHeartbeatMs = intervalMs;
    this.#host.heartbeatsChanged();
  }
}

/**
 * Checks stop() options before anything is torn down.
 * @throws TypeError naming the field and the value.
 */
export function validateStopOptions({ code, restartAfterMs }: StopOptions): void {
  if (code !== undefined) check('code', code, isSendableCloseCode(code), 'a close code from 1000-1003, 1007-1014 or 3000-4999');
  if (restartAfterMs !== undefined) {
    check('restartAfterMs', restartAfterMs, Number.isFinite(restartAfterMs) && restartAfterMs >= 0, 'a finite number >= 0');
  }
}
