import type { ConnectionInfo } from './connection.js';
import type { FaultState } from './faults.js';

/** One message a client sent, as recorded in `feed.received` and emitted as `message`. */
export interface ReceivedMessage {
  readonly connectionId: number;
  /** When it arrived, in ms since the epoch. */
  readonly at: number;
  /** Parsed JSON when it parses, else the raw text (a Buffer for binary frames). Typed `any` so tests can read fields directly. */
  readonly data: any;
}

/** Emitted as `disconnect` when a connection has fully closed. */
export interface DisconnectEvent {
  readonly connectionId: number;
  /** The close code the server saw (1006 when the socket died without a close frame). */
  readonly code: number;
  readonly reason: string;
  /** When it closed, in ms since the epoch. */
  readonly at: number;
}

/** The events of the feed server, each fired after its counters are updated. */
export type FeedServerEvents = {
  /** A WebSocket upgrade was accepted (initial URL streams are already subscribed). */
  connection: [info: ConnectionInfo];
  /** A client sent a message; fired before the server answers it. */
  message: [message: ReceivedMessage];
  /** A connection closed, whoever closed it. */
  disconnect: [event: DisconnectEvent];
};

/** Counters and fault state, as returned by `feed.state()` and `GET /control/state`. */
export interface FeedServerState {
  /** `'json'` or `'binance'`. */
  dialect: string;
  /** WebSocket base URL. */
  url: string;
  /** `false` between stop() and restart(). */
  listening: boolean;
  /** Connections open now. */
  connectionCount: number;
  /** Connections ever accepted. */
  connectionsAccepted: number;
  /** Upgrade requests ever received: accepted, refused and hung. */
  handshakeAttempts: number;
  /** Upgrade requests answered with an HTTP error (faults and bad URLs). */
  handshakesRejected: number;
  /** Upgrade requests left unanswered right now. */
  handshakesHanging: number;
  /** Client messages ever received. */
  messagesReceived: number;
  /** Per known topic (source): sequence position, current subscribers, messages ever published. */
  topics: Record<string, { position: number; subscribers: number; published: number }>;
  /** Which faults are active or pending. */
  faults: FaultState;
}
