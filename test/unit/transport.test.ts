import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Transport, type FrameReceiver, type TransportHandlers } from '../../src/transport.js';
import type { WebSocketConstructor } from '../../src/options.js';
import { parseRetryAfter } from '../../src/ws-listeners.js';

/** The parts of Node's `ws` socket a transport uses, as an EventEmitter the test drives. */
class FakeNodeSocket extends EventEmitter {
  static last: FakeNodeSocket | undefined;
  readyState = 0;
  terminated = 0;
  constructor() {
    super();
    FakeNodeSocket.last = this;
  }
  ping(): void {}
  pong(): void {}
  pause(): void {}
  resume(): void {}
  send(): void {}
  close(): void {}
  terminate(): void {
    this.terminated++;
  }
}

/** A transport on a fake socket that records what it reports, in order. */
function setup(clientOptions: Record<string, unknown> = {}) {
  const log: string[] = [];
  const handlers: TransportHandlers = {
    onOpen: () => log.push('open'),
    onControlFrame: () => log.push('control'),
    onPing: () => log.push('ping'),
    onClose: (code, reason, wasClean) => log.push(`close:${code}:${reason}:${wasClean}`),
    onError: (error) => log.push(`error:${error.message}`),
    onHandshakeRejected: (status, retryAfterMs) => log.push(`rejected:${status}:${retryAfterMs}`),
    onPausedOverflow: () => log.push('overflow'),
  };
  const receiver: FrameReceiver = {
    receive: (data, byteLength) => log.push(`frame:${typeof data === 'string' ? data : `[${[...data].join(',')}]`}:${byteLength}`),
  };
  const transport = new Transport('ws://feed.test/', undefined, FakeNodeSocket as unknown as WebSocketConstructor, clientOptions, handlers, receiver, 10);
  return { transport, socket: FakeNodeSocket.last!, log };
}

describe('Transport on Node\'s ws', () => {
  it('listens to the handshake while dialing and to control frames once open, never more than five events', () => {
    const { socket, log } = setup();
    expect(socket.eventNames().sort()).toEqual(['close', 'error', 'message', 'open', 'unexpected-response']);
    socket.emit('open');
    expect(socket.eventNames().sort()).toEqual(['close', 'error', 'message', 'ping', 'pong']);
    socket.emit('message', Buffer.from('{"a":1}'), false);
    socket.emit('message', Buffer.from([1, 2]), true);
    socket.emit('ping', Buffer.alloc(0));
    socket.emit('pong', Buffer.alloc(0));
    socket.emit('error', new Error('boom'));
    socket.emit('close', 1006, Buffer.from(''));
    expect(log).toEqual(['open', 'frame:{"a":1}:7', 'frame:[1,2]:2', 'control', 'control', 'error:boom', 'close:1006::false']);
  });

  it('shares its listener functions between sockets: no closure per socket', () => {
    const a = setup().socket;
    const b = setup().socket;
    for (const event of a.eventNames()) expect(a.listeners(event)).toEqual(b.listeners(event));
    a.emit('open');
    b.emit('open');
    for (const event of ['ping', 'pong']) expect(a.listeners(event)).toEqual(b.listeners(event));
  });

  it('reports a refused handshake with its status and Retry-After, then cuts the socket', () => {
    const { socket, log } = setup();
    socket.emit('unexpected-response', {}, { statusCode: 429, headers: { 'retry-after': '3' } });
    expect(log).toEqual(['rejected:429:3000']);
    expect(socket.terminated).toBe(1);
  });

  it('hands pings to the stream when ws does not answer them (autoPong off)', () => {
    const { socket, log } = setup({ autoPong: false });
    socket.emit('open');
    socket.emit('ping', Buffer.from('x'));
    expect(log).toEqual(['open', 'control', 'ping']);
  });

  it('falls silent when disposed: no listener left but a no-op for a late error', () => {
    const { transport, socket, log } = setup();
    socket.emit('open');
    transport.dispose();
    expect(socket.eventNames()).toEqual(['error']);
    socket.emit('error', new Error('late'));
    expect(log).toEqual(['open']);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('reads delay-seconds as ms, never below 0', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('-2', now)).toBe(0);
  });

  it('reads an HTTP date as the ms until it, 0 once it has passed', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
  });

  it('takes the first of repeated headers, and gives undefined for none, blank or unreadable', () => {
    expect(parseRetryAfter(['2', '9'], now)).toBe(2000);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter([], now)).toBeUndefined();
    expect(parseRetryAfter('  ', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
