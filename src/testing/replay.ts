import { readFile } from 'node:fs/promises';

/**
 * One received frame of a recording (`resilient-stream record`): a line
 * `{"type":"frame","at":<epoch ms>,"text":"…"}`, or `"binary":"<base64>"` for a binary frame.
 * Other line types (the `session` header) describe the recording and are not replayed.
 */
export interface RecordedFrame {
  readonly type: 'frame';
  /** When the frame was received, in ms since the epoch. */
  readonly at: number;
  readonly text?: string;
  readonly binary?: string;
}

/** Options of {@link replayRecording}. */
export interface ReplayOptions {
  /** Time compression: 10 replays ten times faster than recorded. @default 1 */
  readonly speed?: number;
  /** Start again from the first frame after the last one. @default false */
  readonly loop?: boolean;
}

/** What replaying needs from the feed server: its connections, for the start, and a raw send. */
export interface ReplayTarget {
  readonly connectionCount: number;
  once(event: 'connection', listener: () => void): unknown;
  off(event: 'connection', listener: () => void): unknown;
  sendRaw(text: string): number;
}

/** A running replay. */
export interface Replay {
  /** Frames sent so far (once per frame, whatever the number of connections). */
  readonly sent: number;
  /** Binary frames left out (the feed server sends text frames only). */
  readonly skipped: number;
  /** Resolves when the last frame was sent (never with `loop`, unless stopped). */
  readonly done: Promise<void>;
  /** Stops sending. Idempotent. */
  stop(): void;
}

/**
 * Reads a recording written by `resilient-stream record`: its frames, oldest first.
 * @throws Error naming the line when a line is not JSON.
 */
export async function readRecording(path: string): Promise<RecordedFrame[]> {
  const frames: RecordedFrame[] = [];
  const lines = (await readFile(path, 'utf8')).split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      throw new Error(`Expected a JSON line at ${path}:${index + 1}, got ${JSON.stringify(line.slice(0, 60))}.`);
    }
    if (isFrame(entry)) frames.push(entry);
  });
  return frames;
}

/**
 * Replays recorded frames through a feed server, verbatim, with their recorded spacing divided
 * by `speed`. The clock starts when the first client connects (at once if one is connected);
 * every open connection receives every frame, whatever it subscribed to. Faults still apply:
 * a stall withholds frames (they are lost, as live data would be), freeze, drop, closeAll,
 * flap, stop and handshake faults work as usual.
 */
export function replayRecording(feed: ReplayTarget, frames: readonly RecordedFrame[], options: ReplayOptions = {}): Replay {
  const { speed = 1, loop = false } = options;
  if (!(Number.isFinite(speed) && speed > 0)) throw new TypeError(`Expected \`speed\` to be a finite number > 0, got ${String(speed)}.`);
  let sent = 0;
  let skipped = 0;
  let index = 0;
  let startedAt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const first = frames[0]?.at ?? 0;

  const tick = (): void => {
    timer = undefined;
    const elapsed = (Date.now() - startedAt) * speed;
    // Send everything due now in one go: a burst recorded in one millisecond stays a burst.
    while (index < frames.length && frames[index]!.at - first <= elapsed) {
      const frame = frames[index++]!;
      if (frame.text === undefined) skipped++;
      else {
        feed.sendRaw(frame.text);
        sent++;
      }
    }
    if (index >= frames.length) {
      if (!loop || frames.length === 0) return finish();
      index = 0;
      startedAt = Date.now();
    }
    if (!stopped) timer = setTimeout(tick, Math.max(0, (frames[index]!.at - first) / speed - (Date.now() - startedAt)));
  };
  const start = (): void => {
    if (stopped) return;
    startedAt = Date.now();
    tick();
  };
  if (feed.connectionCount > 0) start();
  else feed.once('connection', start);

  return {
    get sent() {
      return sent;
    },
    get skipped() {
      return skipped;
    },
    done,
    stop() {
      if (stopped) return;
      stopped = true;
      feed.off('connection', start);
      if (timer !== undefined) clearTimeout(timer);
      finish();
    },
  };
}

function isFrame(value: unknown): value is RecordedFrame {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return entry.type === 'frame' && typeof entry.at === 'number' && (typeof entry.text === 'string' || typeof entry.binary === 'string');
}
