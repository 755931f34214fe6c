/**
 * Runs the lifecycle property (test/property/model.ts) in concurrent lanes, each its own
 * fast-check run with seed `baseSeed + lane`; shared by the CI property test and the soak.
 */
import fc from 'fast-check';
import { runScenario, scenarioArb } from './model.js';

export interface PropertyRun {
  baseSeed: number;
  runs: number;
  lanes: number;
  maxSteps: number;
  /** fast-check's replay path of a reported failure (one lane, one run). */
  path?: string;
  /** Shrinking real-socket runs is slow: after this long, every further run counts as passing, so the smallest failure found so far is reported. */
  shrinkBudgetMs: number;
}

/** Resolves with one report per failed lane (empty when every invariant held). */
export async function checkLifecycleProperty({ baseSeed, runs, lanes, maxSteps, path, shrinkBudgetMs }: PropertyRun): Promise<string[]> {
  let failedLane: number | undefined;
  let shrinkDeadline = Number.POSITIVE_INFINITY;
  const laneCount = path !== undefined ? 1 : lanes;
  const perLane = Math.ceil(runs / laneCount);
  const results = await Promise.allSettled(
    Array.from({ length: laneCount }, async (_, lane) => {
      const seed = (baseSeed + lane) | 0;
      const property = fc.asyncProperty(scenarioArb(maxSteps), async ({ config, commands }) => {
        // Once one lane fails, the others stand aside so its shrinking runs alone (an uncaught
        // exception could not be attributed to a lane otherwise).
        if (failedLane !== undefined && failedLane !== lane) return;
        if (Date.now() > shrinkDeadline) return;
        try {
          await runScenario(config, commands, seed);
        } catch (error) {
          if (failedLane === undefined) {
            failedLane = lane;
            shrinkDeadline = Date.now() + shrinkBudgetMs;
          }
          throw error;
        }
      });
      const replay = path !== undefined ? { path, numRuns: 1 } : { numRuns: perLane };
      await fc.assert(property, { seed, ...replay, verbose: 1, includeErrorInReport: true });
    }),
  );
  return results.flatMap((result, lane) =>
    result.status === 'rejected' ? [`lane ${lane} (seed ${(baseSeed + lane) | 0}):\n${String((result.reason as Error)?.message ?? result.reason)}`] : []);
}
