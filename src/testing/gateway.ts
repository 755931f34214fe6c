import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { FeedConnection, type ConnectionInfo } from './connection.js';
import { isRefusal, type ClientCommand, type Dialect } from './dialect.js';
import type { FeedFaults } from './faults.js';
import { HungSockets, refuseUpgrade } from './handshake.js';
import { History } from './history.js';
import type { ConnectionLimiter, FeedLimits } from './limits.js';
import type { DisconnectEvent, ReceivedMessage } from './events.js';
import type { Publisher } from './publisher.js';

/** Where the gateway reports what happened (the feed server's emitter). */
export interface GatewayEvents {
  connection(info: ConnectionInfo): void;
  message(message: ReceivedMessage): void;
  disconnect(event: DisconnectEvent): void;
}

/** What the gateway needs from the rest of the server. */
export interface GatewayDeps {
  readonly dialect: Dialect;
  readonly faults: FeedFaults;
  readonly limits: FeedLimits;
  readonly publisher: Publisher;
  readonly historyLimit: number;
  readonly events: GatewayEvents;
}

/**
 * The WebSocket side: decides each upgrade (hang, refuse, route, accept), keeps the open
 * connections and answers what clients send. Records handshakes and received messages.
 */
export class Gateway {
  /** When each accepted upgrade happened, in ms since the epoch. */
  readonly handshakeTimes: number[] = [];
  readonly received: History<ReceivedMessage>;
  readonly #deps: GatewayDeps;
  readonly #wss = new WebSocketServer({ noServer: true, clientTracking: false });
  readonly #connections = new Map<number, FeedConnection>();
  readonly #hung = new HungSockets();
  readonly #onDrained = new Set<() => void>();
  #lastAccepted: ConnectionInfo | undefined;
  #nextId = 1;
  #attempts = 0;
  #rejected = 0;

  constructor(deps: GatewayDeps) {
    this.#deps = deps;
    this.received = new History(deps.historyLimit);
  }

  /** Open connections by id. */
  get connections(): ReadonlyMap<number, FeedConnection> {
    return this.#connections;
  }

  /** The newest accepted connection. */
  get lastAccepted(): ConnectionInfo | undefined {
    return this.#lastAccepted;
  }

  /** Upgrade requests, refused upgrades and hanging upgrades. */
  get counters(): { attempts: number; rejected: number; hanging: number } {
    return { attempts: this.#attempts, rejected: this.#rejected, hanging: this.#hung.size };
  }

  /** Handles an HTTP upgrade request (the `upgrade` event of the HTTP server). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { dialect, faults, limits, publisher } = this.#deps;
    this.#attempts += 1;
    // A client that vanishes mid-handshake must not crash the server.
    socket.on('error', () => undefined);
    const throttled = limits.admitDial(Date.now());
    if (throttled) return this.#refuse(socket, throttled.status, throttled.headers, throttled.message);
    if (faults.takeHang()) return this.#hung.hold(socket);
    const rejection = faults.takeRejection();
    if (rejection) return this.#refuse(socket, rejection.status, rejection.headers, 'Handshake refused by fault injection.');
    const route = dialect.route(new URL(req.url ?? '/', 'http://localhost'));
    if (isRefusal(route)) return this.#refuse(socket, route.status, {}, route.message);
    const tooMany = limits.refuseTopics(undefined, route.topics);
    if (tooMany !== undefined) return this.#refuse(socket, 400, {}, tooMany);
    let streams: Array<[string, string]>;
    try {
      streams = route.topics.map((topic) => [topic, publisher.register(topic)]);
    } catch (error) {
      return this.#refuse(socket, 400, {}, (error as Error).message);
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = this.#accept(ws, socket, req, route.combined);
      for (const [stream, source] of streams) connection.subscribe(stream, source);
      this.#deps.events.connection(connection.info);
    });
  }

  /**
   * Ends every connection and resolves once all are gone: with close frames carrying `code`
   * first when one is given (waiting up to `graceMs` for the answers), abruptly otherwise.
   */
  async endAll(code: number | undefined, graceMs: number): Promise<void> {
    if (code !== undefined) {
      for (const connection of this.#connections.values()) connection.close(code, 'server stopping');
      await this.#drained(graceMs);
    }
    for (const connection of this.#connections.values()) connection.drop();
    await this.#drained(graceMs);
  }

  /** Destroys sockets whose handshake was left hanging. */
  destroyHung(): void {
    this.#hung.destroyAll();
  }

  /** Forgets recorded handshakes and messages. */
  clearRecords(): void {
    this.received.clear();
    this.handshakeTimes.length = 0;
  }

  /** Releases the internal WebSocketServer. */
  close(): void {
    this.#wss.close();
  }

  /** Resolves when no connection is left, or after `timeoutMs` at the latest. */
  #drained(timeoutMs: number): Promise<void> {
    if (this.#connections.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.#onDrained.delete(finish);
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.#onDrained.add(finish);
    });
  }

  #refuse(socket: Duplex, status: number, headers: Record<string, string>, message: string): void {
    this.#rejected += 1;
    refuseUpgrade(socket, status, headers, message);
  }

  #accept(ws: WebSocket, socket: Duplex, req: IncomingMessage, combined: boolean): FeedConnection {
    const info: ConnectionInfo = { id: this.#nextId++, url: req.url ?? '/', headers: req.headers, openedAt: Date.now() };
    const connection = new FeedConnection(info, ws, socket, combined);
    this.#connections.set(info.id, connection);
    this.handshakeTimes.push(info.openedAt);
    this.#lastAccepted = info;
    const flapMs = this.#deps.faults.takeFlap();
    if (flapMs !== undefined) connection.scheduleDrop(flapMs);
    const limiter = this.#deps.limits.watch(connection);
    ws.on('error', () => undefined);
    ws.on('message', (raw, isBinary) => this.#onMessage(connection, raw, isBinary, limiter));
    if (limiter !== undefined) {
      ws.on('ping', () => limiter.controlFrame(Date.now()));
      ws.on('pong', () => limiter.controlFrame(Date.now()));
    }
    ws.on('close', (code, reason) => {
      connection.cancelDrop();
      connection.cancelClose();
      limiter?.dispose();
      this.#connections.delete(info.id);
      this.#deps.events.disconnect({ connectionId: info.id, code, reason: reason.toString(), at: Date.now() });
      if (this.#connections.size === 0) for (const resolve of [...this.#onDrained]) resolve();
    });
    return connection;
  }

  #onMessage(connection: FeedConnection, raw: RawData, isBinary: boolean, limiter: ConnectionLimiter | undefined): void {
    const bytes = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as Buffer);
    const text = isBinary ? undefined : bytes.toString('utf8');
    const data = text === undefined ? bytes : parseLoose(text);
    const message: ReceivedMessage = { connectionId: connection.id, at: Date.now(), data };
    this.received.push(message);
    this.#deps.events.message(message);
    // Recorded either way (it did arrive); one over the rate closes the connection unanswered.
    if (limiter !== undefined && !limiter.admit(message.at)) return;
    if (text !== undefined) this.#answer(connection, this.#deps.dialect.parse(text));
  }

  #answer(connection: FeedConnection, command: ClientCommand): void {
    const { dialect, publisher } = this.#deps;
    const reply = (message: object): void => void connection.send(JSON.stringify(message));
    if (command.kind === 'invalid') return reply(dialect.error(command.id, command.reason, command.message));
    if (command.kind === 'list') return reply(dialect.listed(command.id, connection.topics()));
    if (command.kind === 'ping') return reply(dialect.ack(command));
    if (command.kind === 'unsubscribe') {
      for (const topic of command.topics) connection.unsubscribe(topic);
      return reply(dialect.ack(command));
    }
    const tooMany = this.#deps.limits.refuseTopics(connection, command.topics);
    if (tooMany !== undefined) return reply(dialect.error(command.id, 'request', tooMany));
    let streams: Array<[string, string]>;
    try {
      // All or nothing: one bad topic refuses the whole request.
      streams = command.topics.map((topic) => [topic, publisher.register(topic)]);
    } catch (error) {
      return reply(dialect.error(command.id, 'request', (error as Error).message));
    }
    for (const [stream, source] of streams) connection.subscribe(stream, source);
    reply(dialect.ack(command));
  }
}

function parseLoose(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
