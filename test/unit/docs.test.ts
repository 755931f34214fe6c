import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, ERROR_CODES } from '../../src/index.js';

const root = join(import.meta.dirname, '..', '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** First-column names of every markdown table row: `| \`name\` | ...`. */
function rowNames(markdown: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of markdown.split('\n')) {
    const match = /^\| `([^`]+)` \|(.*)\|$/.exec(line);
    if (match) rows.set(match[1]!, match[2]!.split(' | ').map((cell) => cell.trim()));
  }
  return rows;
}

/** The `readonly name` members of one exported interface in a source file. */
function membersOf(source: string, name: string): string[] {
  const start = source.indexOf(`export interface ${name}`);
  const body = source.slice(start, source.indexOf('\n}', start));
  return [...body.matchAll(/^\s+(?:readonly )?(\w+)\??[:(]/gm)].map((match) => match[1]!);
}

/** `10_000`, `16 * 1024 * 1024`, `Infinity`, `'full'`, `false`, `true` as a value. */
function literal(cell: string): unknown {
  const text = cell.replaceAll('`', '').trim();
  if (text === 'Infinity') return Number.POSITIVE_INFINITY;
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^'.*'$/.test(text)) return text.slice(1, -1);
  if (/^\d+\.\d+$/.test(text)) return Number(text);
  if (/^[\d_ *]+$/.test(text)) return text.replaceAll('_', '').split('*').reduce((product, factor) => product * Number(factor), 1);
  return undefined;
}

describe('docs/options.md', () => {
  const rows = rowNames(read('docs/options.md'));
  const source = read('src/options.ts');

  it('documents every option, and no option that does not exist', () => {
    const options = membersOf(source, 'ResilientStreamOptions');
    const documented = [...rows.keys()].filter((name) => !name.includes('.') && options.includes(name));
    expect(documented.sort()).toEqual([...options].sort());
  });

  it.each([
    ['backoff', 'BackoffOptions'],
    ['storm', 'StormOptions'],
    ['heartbeat', 'HeartbeatOptions'],
  ])('documents every field of %s', (group, type) => {
    for (const field of membersOf(source, type)) {
      const named = rows.has(`${group}.${field}`) || (group === 'heartbeat' && (field === 'intervalMs' || field === 'timeoutMs'));
      expect(named, `${group}.${field}`).toBe(true);
    }
  });

  it('states the defaults the code uses', () => {
    const flat: Record<string, unknown> = {
      ...Object.fromEntries(Object.entries(DEFAULTS).filter(([, value]) => typeof value !== 'object')),
      ...Object.fromEntries(Object.entries(DEFAULTS.backoff).map(([key, value]) => [`backoff.${key}`, value])),
      ...Object.fromEntries(Object.entries(DEFAULTS.storm).map(([key, value]) => [`storm.${key}`, value])),
      ...Object.fromEntries(Object.entries(DEFAULTS.adaptiveStaleness)),
    };
    let checked = 0;
    for (const [name, cells] of rows) {
      if (!(name in flat)) continue;
      expect(literal(cells[0]!), name).toEqual(flat[name]);
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
    expect(rows.get('heartbeat')![0]).toBe(`\`{intervalMs: ${fmt(DEFAULTS.heartbeat.intervalMs)}, timeoutMs: ${fmt(DEFAULTS.heartbeat.timeoutMs)}}\``);
    expect(rows.get('sendQueue')![0]).toBe(`\`{maxMessages: ${DEFAULTS.sendQueue.maxMessages}, maxAgeMs: ${fmt(DEFAULTS.sendQueue.maxAgeMs)}}\``);
  });
});

function fmt(value: number): string {
  return value >= 10_000 ? value.toLocaleString('en').replaceAll(',', '_') : String(value);
}

describe('docs/events.md', () => {
  it('documents every event of the typed event map, and no other', () => {
    const events = membersOf(read('src/events.ts'), 'ResilientStreamEvents');
    expect([...rowNames(read('docs/events.md')).keys()].sort()).toEqual([...events].sort());
  });
});

describe('docs/errors.md', () => {
  it('documents every error code, and no other', () => {
    expect([...rowNames(read('docs/errors.md')).keys()].sort()).toEqual([...ERROR_CODES].sort());
  });
});
