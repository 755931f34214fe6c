import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecording, replayRecording, type RecordedFrame } from '../../src/testing/index.js';
import { sleep } from '../helpers/events.js';

/** A stand-in feed server: records raw sends with their time. */
class Target extends EventEmitter {
  connectionCount = 0;
  readonly sent: Array<{ text: string; at: number }> = [];
  sendRaw(text: string): number {
    this.sent.push({ text, at: Date.now() });
    return this.connectionCount;
  }
  connect(): void {
    this.connectionCount++;
    this.emit('connection', { id: this.connectionCount });
  }
}

const frames = (...ats: number[]): RecordedFrame[] => ats.map((at, i) => ({ type: 'frame', at: 1_000 + at, text: `f${i}` }));

describe('replayRecording', () => {
  it('starts at the first connection and keeps the recorded spacing divided by speed', async () => {
    const target = new Target();
    const replay = replayRecording(target, frames(0, 0, 400, 800), { speed: 4 });
    await sleep(50);
    expect(target.sent).toEqual([]);
    const started = Date.now();
    target.connect();
    await replay.done;
    expect(target.sent.map((s) => s.text)).toEqual(['f0', 'f1', 'f2', 'f3']);
    const offsets = target.sent.map((s) => s.at - started);
    expect(offsets[1]).toBeLessThan(20); // a burst stays a burst
    expect(offsets[2]).toBeGreaterThanOrEqual(95);
    expect(offsets[2]).toBeLessThan(180);
    expect(offsets[3]).toBeGreaterThanOrEqual(195);
    expect(offsets[3]).toBeLessThan(300);
    expect(replay.sent).toBe(4);
  });

  it('loops until stopped, skips binary frames, and rejects a bad speed', async () => {
    const target = new Target();
    target.connect();
    const replay = replayRecording(target, [...frames(0, 10), { type: 'frame', at: 1_020, binary: 'AAE=' }], { speed: 1, loop: true });
    await sleep(100);
    replay.stop();
    await replay.done;
    const count = target.sent.length;
    expect(count).toBeGreaterThanOrEqual(4);
    expect(target.sent.slice(0, 4).map((s) => s.text)).toEqual(['f0', 'f1', 'f0', 'f1']);
    expect(replay.skipped).toBeGreaterThanOrEqual(1);
    await sleep(50);
    expect(target.sent.length).toBe(count);
    expect(() => replayRecording(target, [], { speed: 0 })).toThrow('Expected `speed` to be a finite number > 0, got 0.');
  });

  it('readRecording keeps frames and skips the session header; a bad line is named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-replay-'));
    try {
      const file = join(dir, 's.ndjson');
      writeFileSync(file, '{"type":"session","version":1,"url":"ws://x/","startedAt":1}\n{"type":"frame","at":5,"text":"a"}\n\n');
      expect(await readRecording(file)).toEqual([{ type: 'frame', at: 5, text: 'a' }]);
      writeFileSync(file, '{"type":"frame","at":5,"text":"a"}\nnot json\n');
      await expect(readRecording(file)).rejects.toThrow(`Expected a JSON line at ${file}:2, got "not json".`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
