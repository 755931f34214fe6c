import type { StreamHealth } from '../index.js';

/** What the status line shows; `messagesPerSecond` is measured between two redraws. */
export interface StatusFigures {
  readonly health: StreamHealth;
  readonly messagesPerSecond: number;
}

/** One line: state, messages/s, last-message age, reconnects, gaps (and paused or storm when so). */
export function formatStatus({ health, messagesPerSecond }: StatusFigures): string {
  const age = health.lastMessageAgeMs === null ? '-' : `${(health.lastMessageAgeMs / 1000).toFixed(1)}s`;
  const flags = [health.storm ? ' STORM' : '', health.paused ? ' paused' : ''].join('');
  return `${health.state}${flags} | ${messagesPerSecond.toFixed(0)} msg/s | last ${age} ago | reconnects ${health.reconnects} | gaps ${health.gaps}`;
}

/** The writable a status line draws on (stderr on a TTY). */
export interface StatusTarget {
  write(text: string): unknown;
}

/** Erase the current line and go back to its start (ANSI: carriage return, erase line). */
const ERASE = '\r\x1b[2K';

/**
 * A status line redrawn in place on a terminal: `draw()` replaces it, `clear()` erases it before
 * other output goes to the same terminal, `stop()` erases it for good.
 */
export class StatusLine {
  readonly #target: StatusTarget;
  #shown = false;
  #last = '';

  constructor(target: StatusTarget) {
    this.#target = target;
  }

  draw(text: string): void {
    this.#last = text;
    this.#target.write(`${ERASE}${text}`);
    this.#shown = true;
  }

  /** Erases the line (call before printing anything else); `redraw()` puts it back. */
  clear(): void {
    if (!this.#shown) return;
    this.#target.write(ERASE);
    this.#shown = false;
  }

  redraw(): void {
    if (this.#last !== '') this.draw(this.#last);
  }

  stop(): void {
    this.clear();
    this.#last = '';
  }
}
