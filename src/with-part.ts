/**
 * Calls `use` with an optional part of the stream (see lazy.ts): at once when the part is here, as it
 * always is outside the browser build, else when it arrives, so Node keeps its synchronous wiring.
 */
export function withPart<T, R>(part: T | Promise<T>, use: (part: T) => R): R | Promise<R> {
  return part instanceof Promise ? part.then(use) : use(part);
}
