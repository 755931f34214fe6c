import type { ResilientStream, ResilientStreamEvents } from '../../src/index.js';

type EventName = keyof ResilientStreamEvents;
type Payload<E extends EventName, In = unknown> = Parameters<ResilientStreamEvents<In>[E]>[0];

/** Resolves with the next `event` whose payload satisfies `predicate`; rejects after `timeoutMs`. */
export function waitForEvent<In, E extends EventName>(
  stream: ResilientStream<In, any>,
  event: E,
  predicate: (payload: Payload<E, In>) => boolean = () => true,
  timeoutMs = 5_000,
): Promise<Payload<E, In>> {
  return new Promise((resolve, reject) => {
    const listener = (payload: Payload<E, In>): void => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      stream.off(event, listener as never);
      resolve(payload);
    };
    const timer = setTimeout(() => {
      stream.off(event, listener as never);
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for '${event}' (state ${stream.state})`));
    }, timeoutMs);
    stream.on(event, listener as never);
  });
}

/** Resolves once the stream reaches `state`. */
export function waitForState(stream: ResilientStream<any, any>, state: string, timeoutMs = 5_000): Promise<unknown> {
  if (stream.state === state) return Promise.resolve();
  return waitForEvent(stream, 'state', (event) => event.to === state, timeoutMs);
}

/** Records every event in order, as `name` or `name:detail`, so tests can assert the story. */
export class EventRecorder {
  readonly entries: Array<{ event: EventName; payload: unknown }> = [];
  readonly #detach: Array<() => void> = [];

  constructor(stream: ResilientStream<any, any>, events: EventName[] = ['state', 'open', 'stale', 'close', 'reconnecting', 'gap', 'resyncing', 'resynced', 'storm', 'stormEnd', 'error']) {
    for (const event of events) {
      const listener = (payload: unknown): void => {
        this.entries.push({ event, payload });
      };
      stream.on(event, listener as never);
      this.#detach.push(() => stream.off(event, listener as never));
    }
  }

  /** Short names: `state:open`, `close:1006`, `error:RS_STALE`, `stale:data`, else the event name. */
  get story(): string[] {
    return this.entries.map(({ event, payload }) => {
      const p = payload as Record<string, unknown>;
      if (event === 'state') return `state:${String(p.to)}`;
      if (event === 'close') return `close:${String(p.code)}`;
      if (event === 'error') return `error:${String(p.code)}`;
      if (event === 'stale') return `stale:${String(p.kind)}`;
      return event;
    });
  }

  of<E extends EventName>(event: E): Array<Payload<E>> {
    return this.entries.filter((entry) => entry.event === event).map((entry) => entry.payload as Payload<E>);
  }

  detach(): void {
    for (const detach of this.#detach) detach();
  }
}

/** Resolves after `ms` real milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
