import {
  isTopicList,
  type AckableCommand,
  parseObject,
  requestIdOf,
  type ClientCommand,
  type Dialect,
  type HandshakeRoute,
  type RequestId,
} from './dialect.js';
import { randomInt, type Random } from './random.js';

/** A data message of the generic JSON dialect. */
export interface JsonDataMessage {
  topic: string;
  /** Per topic, shared by every connection, +1 per message. */
  seq: number;
  /** Milliseconds since the epoch when the message was generated. */
  ts: number;
  data: unknown;
}

/**
 * The generic JSON dialect: `{"op":"subscribe","topics":[...],"id":1}` in,
 * `{"topic","seq","ts","data"}` out. Any path is accepted; topics are free-form strings.
 */
export class JsonDialect implements Dialect {
  readonly name = 'json' as const;
  readonly #random: Random;
  readonly #seq = new Map<string, number>();

  constructor(random: Random) {
    this.#random = random;
  }

  sourceOf(topic: string): string {
    if (typeof topic !== 'string' || topic.length === 0) {
      throw new TypeError(`Expected a topic to be a non-empty string, got ${JSON.stringify(topic)}.`);
    }
    return topic;
  }

  route(): HandshakeRoute {
    return { topics: [], combined: false };
  }

  parse(text: string): ClientCommand {
    const message = parseObject(text);
    if (typeof message === 'string') return { kind: 'invalid', id: undefined, reason: 'json', message };
    const id = requestIdOf(message);
    const { op, topics } = message;
    if (op === 'ping') return { kind: 'ping', id };
    if (op === 'list') return { kind: 'list', id };
    if (op !== 'subscribe' && op !== 'unsubscribe') {
      const detail = `Expected "op" to be subscribe, unsubscribe, ping or list, got ${JSON.stringify(op)}.`;
      return { kind: 'invalid', id, reason: 'request', message: detail };
    }
    if (!isTopicList(topics)) {
      const detail = `Expected "topics" to be an array of non-empty strings, got ${JSON.stringify(topics)}.`;
      return { kind: 'invalid', id, reason: 'request', message: detail };
    }
    return { kind: op, topics, id };
  }

  ack(command: AckableCommand): object {
    if (command.kind === 'ping') return withId({ op: 'pong' }, command.id);
    const op = command.kind === 'subscribe' ? 'subscribed' : 'unsubscribed';
    return withId({ op, topics: command.topics }, command.id);
  }

  listed(id: RequestId, topics: string[]): object {
    return withId({ op: 'subscriptions', topics }, id);
  }

  error(id: RequestId, _reason: 'json' | 'request', message: string): object {
    return withId({ op: 'error', message }, id);
  }

  next(source: string, now: number, override?: unknown): JsonDataMessage {
    const seq = (this.#seq.get(source) ?? 0) + 1;
    this.#seq.set(source, seq);
    const data = override ?? {
      price: (100 + randomInt(this.#random, 0, 500) / 100).toFixed(2),
      qty: String(randomInt(this.#random, 1, 1000) / 1000),
    };
    return { topic: source, seq, ts: now, data };
  }

  position(source: string): number {
    return this.#seq.get(source) ?? 0;
  }

  wrap(_stream: string, payload: object): object {
    return payload;
  }

  heartbeat(now: number): object {
    return { op: 'heartbeat', ts: now };
  }

  shutdownNotice(now: number): object {
    return { op: 'shutdown', ts: now };
  }
}

/** Echoes the request id only when the client sent one. */
function withId(message: Record<string, unknown>, id: RequestId): object {
  return id === undefined ? message : { ...message, id };
}
