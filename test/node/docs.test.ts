import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PIPE_TO_DEFAULTS } from '../../src/node/index.js';

const root = join(import.meta.dirname, '..', '..');

/** The rows of the markdown table that follows `heading`: first cell (unquoted) -> second cell. */
function table(path: string, header: string): Map<string, string> {
  const text = readFileSync(join(root, path), 'utf8');
  const start = text.indexOf(header);
  expect(start, `${header} in ${path}`).toBeGreaterThan(-1);
  const rows = new Map<string, string>();
  for (const line of text.slice(start).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const [name, value] = line.split('|').slice(1, 3).map((cell) => cell.trim().replace(/^`|`$/g, ''));
    rows.set(name!, value!);
  }
  return rows;
}

const shown = (value: number): string => (value === Number.POSITIVE_INFINITY ? 'Infinity' : value.toLocaleString('en').replace(/,/g, '_'));

describe('docs/node-workers.md', () => {
  it('lists every pipeTo option with the default the code uses', () => {
    const rows = table('docs/node-workers.md', '| option | default | meaning |\n|---|---|---|\n| `batchSize`');
    expect([...rows.keys()]).toEqual(['batchSize', 'flushIntervalMs', 'maxBufferedMessages', 'filter', 'retry', 'onError', 'signal', 'drainTimeoutMs', 'clock', 'random']);
    expect(rows.get('batchSize')).toBe(shown(PIPE_TO_DEFAULTS.batchSize));
    expect(rows.get('flushIntervalMs')).toBe(shown(PIPE_TO_DEFAULTS.flushIntervalMs));
    expect(rows.get('maxBufferedMessages')).toBe(shown(PIPE_TO_DEFAULTS.maxBufferedMessages));
    expect(rows.get('drainTimeoutMs')).toBe(shown(PIPE_TO_DEFAULTS.drainTimeoutMs));
    const { initialDelayMs, maxDelayMs } = PIPE_TO_DEFAULTS.retry;
    expect(rows.get('retry')).toBe(`{initialDelayMs: ${shown(initialDelayMs)}, maxDelayMs: ${shown(maxDelayMs)}}`);
  });
});

describe('docs/cli.md', () => {
  it('documents the exit codes the CLI uses', async () => {
    const { EXIT } = await import('../../src/cli/exit-codes.js');
    const rows = table('docs/cli.md', '| code | meaning |');
    expect([...rows.keys()].map(Number).sort()).toEqual(Object.values(EXIT).sort());
  });
});
