import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Answers a WebSocket upgrade request with a plain HTTP response instead of `101 Switching
 * Protocols`, then closes the socket. A `ws` client reports it as `unexpected-response` with
 * this status; a browser only sees a failed connection (close code 1006).
 */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  headers: Record<string, string>,
  message: string,
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: message });
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}`,
    'Connection: close',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * Sockets whose upgrade request is never answered (the hangHandshakes fault). They are
 * destroyed on stop() and close(), so a hung handshake never keeps the process alive.
 */
export class HungSockets {
  readonly #sockets = new Set<Duplex>();

  /** How many handshakes hang right now. */
  get size(): number {
    return this.#sockets.size;
  }

  /** Holds a socket without answering it. */
  hold(socket: Duplex): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  /** Destroys every held socket: the waiting clients see the connection reset. */
  destroyAll(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }
}
