import type { Connection } from './connection.js';
import { describe, ResilientStreamError } from './errors.js';
import type { Inbound } from './inbound.js';
import { loadPart, parts, type PartName } from './lazy.js';
import type { LivenessMonitor } from './liveness.js';
import type { Logger } from './options.js';
import type { ResilientStream } from './resilient-stream.js';
import type { ResolvedOptions } from './resolve-options.js';
import type { Resyncer, ResyncCallbacks } from './resyncer.js';
import type { Rotator, RotatorHost } from './rotator.js';

/**
 * The logger in force: the `logger` option, else `console` when `RESILIENT_STREAM_DEBUG=1` is set
 * under Node, else none (silent by default).
 */
export function pickLogger(option: Logger | undefined): Logger | undefined {
  if (option !== undefined) return option;
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.RESILIENT_STREAM_DEBUG === '1' ? console : undefined;
}

/** The optional parts a stream with these options uses before it can dial (rotation is not one: see rotator()). */
export function partsFor<In, Out>(options: ResolvedOptions<In, Out>, logger: Logger | undefined): PartName[] {
  const names: PartName[] = [];
  if (options.sequence !== undefined || options.resync !== undefined) names.push('Resyncer');
  if (logger !== undefined) names.push('attachLogger');
  if (options.staleAfterMs.mode === 'auto') names.push('P2Quantile');
  if (options.rateLimit !== false) names.push('Pacer');
  return names;
}

/** True when a stream with these options uses any optional part (most use none and carry no OptionalParts). */
export function usesParts<In, Out>(options: ResolvedOptions<In, Out>): boolean {
  return options.rotate !== false || partsFor(options, pickLogger(options.logger)).length > 0;
}

/** Makes every part of `names` available: undefined when all are here (always, outside the browser build), else a promise. */
export function loadParts(names: readonly PartName[]): Promise<unknown> | undefined {
  const pending = names.map(loadPart).filter((fetch) => fetch !== undefined);
  return pending.length === 0 ? undefined : Promise.all(pending);
}

/** What the optional parts plug into: the stream's hub. */
export interface PartsHost<In, Out> extends ResyncCallbacks<In>, RotatorHost<In, Out> {
  readonly inbound: Inbound<In>;
  readonly liveness: LivenessMonitor;
  readonly connection: Connection | undefined;
  /** The stream itself, for the logger's listeners. */
  readonly stream: ResilientStream<In, Out>;
  readonly isClosing: boolean;
  /** The parts a dial needs could not be fetched: the stream cannot start now. */
  cannotStart(error: ResilientStreamError): void;
}

/**
 * A stream's optional parts, created once their code is here: the resyncer (the inbound sink from
 * then on), the rotator (with `rotate` or on the first rotate()), the logger's listeners and the
 * adaptive staleness quantile. Outside the browser build everything is wired in at construction.
 */
export class OptionalParts<In, Out> {
  resyncer: Resyncer<In> | undefined;
  rotator: Rotator<In, Out> | undefined;
  /** While the browser build fetches the parts a dial needs: start() dials once they are wired in. */
  loading: Promise<unknown> | undefined;
  readonly #host: PartsHost<In, Out>;
  /** True while the rotation chunk is fetched for the `rotate` option. */
  #fetching = false;

  constructor(host: PartsHost<In, Out>) {
    this.#host = host;
    this.prepare();
    if (host.options.rotate !== false) this.#fetchRotator();
  }

  /** A socket went live: the rotator arms its age rotation; if its chunk could not be fetched, it is fetched again now. */
  live(connection: Connection): void {
    if (this.rotator !== undefined) this.rotator.live(connection);
    else if (this.#host.options.rotate !== false) this.#fetchRotator();
  }

  #fetchRotator(): void {
    if (this.#fetching) return;
    const ready = this.rotatorReady();
    if (!(ready instanceof Promise)) return;
    this.#fetching = true;
    ready.then(
      () => { this.#fetching = false; },
      (error: unknown) => { this.#fetching = false; this.failed('RS_ROTATION_FAILED', error); },
    );
  }

  /** Fetches (browser build) and wires in the parts the options need before a dial. */
  prepare(): void {
    const host = this.#host;
    const o = host.options;
    const logger = pickLogger(o.logger);
    const names = partsFor(o, logger);
    const wire = (): void => {
      this.loading = undefined;
      if (names.includes('Resyncer') && this.resyncer === undefined) host.inbound.sink = this.resyncer = new parts.Resyncer!<In>(o, host);
      if (o.staleAfterMs.mode === 'auto') host.liveness.learnWith(new parts.P2Quantile!(o.staleAfterMs.quantile));
      if (logger !== undefined) parts.attachLogger!(host.stream, logger);
    };
    const loading = loadParts(names);
    if (loading === undefined) wire();
    else (this.loading = loading.then(wire)).catch(() => {});
  }

  /** Calls `dial` now when the parts a dial needs are here, else once they are; reports a failed fetch. */
  whenReady(dial: () => void): void {
    const loading = this.loading;
    if (loading === undefined) return dial();
    void loading.then(dial, (error: unknown) => this.loading === loading && this.failed('RS_CONNECT_FAILED', error));
  }

  /** rotate(): once the rotator is here. */
  rotate(): Promise<void> {
    const rotator = this.rotatorReady();
    return rotator instanceof Promise ? rotator.then((ready) => ready.rotate('manual')) : rotator.rotate('manual');
  }

  /** The rotator, created on first need. */
  rotatorReady(): Rotator<In, Out> | Promise<Rotator<In, Out>> {
    const loading = this.rotator === undefined ? loadPart('Rotator') : undefined;
    return loading === undefined ? this.#useRotator() : loading.then(() => this.#useRotator());
  }

  #useRotator(): Rotator<In, Out> {
    if (this.rotator !== undefined) return this.rotator;
    const rotator = (this.rotator = new parts.Rotator!<In, Out>(this.#host));
    const connection = this.#host.connection;
    if (connection?.liveAt !== undefined && !this.#host.isClosing) rotator.live(connection);
    return rotator;
  }

  /** A part's chunk could not be fetched. Rotation reports it and the socket stays; the rest fetch again at the next start(). */
  failed(code: 'RS_CONNECT_FAILED' | 'RS_ROTATION_FAILED', cause: unknown): void {
    const what = code === 'RS_ROTATION_FAILED' ? 'rotation' : 'an optional part';
    const error = new ResilientStreamError(code, `Expected to load ${what} (a chunk of the browser build), but the import failed: ${describe(cause)}`, { cause });
    if (this.#host.isClosing) return;
    if (code === 'RS_ROTATION_FAILED') return this.#host.error(error);
    this.prepare();
    this.#host.cannotStart(error);
  }
}
