import { validateStopOptions, type FeedFaults } from './faults.js';
import { check } from './options.js';

/** What the HTTP control surface can reach. */
export interface ControlTarget {
  readonly faults: FeedFaults;
  publish(topic: string, data?: unknown): object;
}

/** The result of one control action. */
export interface ControlOutcome {
  /** Returned to the caller as `result`. */
  result?: unknown;
  /** Runs once the HTTP answer is written (stop() would otherwise cut its own answer off). */
  afterResponse?: () => void;
}

type Body = Record<string, unknown>;
type Action = (target: ControlTarget, body: Body) => ControlOutcome;

/** Thrown for an unknown action name: the HTTP layer answers 404. */
export class UnknownControlAction extends Error {}

/**
 * Every `POST /control/<name>` action, with the JSON body fields it reads. Bodies are passed to
 * the same `feed.faults` methods a test calls, so validation and messages are identical.
 */
export const CONTROL_ACTIONS: Readonly<Record<string, Action>> = Object.freeze({
  stall: (t) => done(t.faults.stall()),
  resume: (t) => done(t.faults.resume()),
  heartbeatsOnly: (t, b) => done(t.faults.heartbeatsOnly({ intervalMs: b.intervalMs as number | undefined })),
  dropTopic: (t, b) => done(t.faults.dropTopic(b.topic as string)),
  freeze: (t, b) => done(t.faults.freeze(b.connectionId as number | undefined)),
  unfreeze: (t) => done(t.faults.unfreeze()),
  drop: (t, b) => done(t.faults.drop(b.connectionId as number | undefined)),
  closeAll: (t, b) => done(t.faults.closeAll(b.code as number | undefined, b.reason as string | undefined)),
  gap: (t, b) => done(t.faults.gap(b.count as number | undefined, b.topic as string | undefined)),
  duplicate: (t, b) => ({ result: { frames: t.faults.duplicate(b.topic as string | undefined) } }),
  rejectHandshakes: (t, b) => done(t.faults.rejectHandshakes(b.status as number, { count: b.count as number | undefined, headers: headersOf(b.headers) })),
  hangHandshakes: (t, b) => done(t.faults.hangHandshakes({ count: b.count as number | undefined })),
  flap: (t, b) => done(t.faults.flap(b.enabled === false ? false : { openMs: b.openMs as number, count: (b.count ?? undefined) as number | undefined })),
  stop: (t, b) => {
    // Over HTTP a stopped server could never hear /control/restart, so insist on a timed restart.
    const restartAfterMs = b.restartAfterMs as number;
    check('restartAfterMs', restartAfterMs, Number.isFinite(restartAfterMs) && restartAfterMs >= 0, 'a finite number >= 0 (a stopped server cannot receive /control/restart)');
    const options = { code: b.code as number | undefined, restartAfterMs };
    validateStopOptions(options); // now, while a 400 can still be answered
    return { afterResponse: () => void t.faults.stop(options).catch(() => undefined) };
  },
  staleSnapshot: (t, b) => done(t.faults.staleSnapshot(b.count as number | undefined)),
  shutdownNotice: (t) => done(t.faults.shutdownNotice()),
  notice: (t, b) => done(t.faults.notice({ connectionId: b.connectionId as number | undefined, closeAfterMs: b.closeAfterMs as number | undefined, code: b.code as number | undefined, reason: b.reason as string | undefined })),
  clear: (t) => done(t.faults.clear()),
  publish: (t, b) => ({ result: t.publish(b.topic as string, b.data) }),
});

/**
 * Runs one control action with its JSON body.
 * @throws UnknownControlAction for a name not in {@link CONTROL_ACTIONS}; TypeError for bad arguments.
 */
export function runControl(target: ControlTarget, name: string, body: unknown): ControlOutcome {
  const action = Object.hasOwn(CONTROL_ACTIONS, name) ? CONTROL_ACTIONS[name] : undefined;
  if (!action) {
    throw new UnknownControlAction(`Expected one of ${Object.keys(CONTROL_ACTIONS).join(', ')}, got ${JSON.stringify(name)}.`);
  }
  // `false` alone is the natural body for "flap off".
  const fields: Body = body === false ? { enabled: false } : isBody(body) ? body : {};
  if (body !== undefined && body !== false && !isBody(body)) {
    throw new TypeError(`Expected the body of /control/${name} to be a JSON object, got ${JSON.stringify(body)}.`);
  }
  return action(target, fields);
}

function done(_: void): ControlOutcome {
  return {};
}

function isBody(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function headersOf(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const ok = isBody(value) && Object.values(value).every((v) => typeof v === 'string');
  check('headers', value, ok, 'an object of string header values');
  return value as Record<string, string>;
}
