/**
 * An append-only record that keeps about the newest `limit` entries. It trims in batches (up to
 * 10% over the limit) so a busy feed does not shift a large array on every message.
 */
export class History<T> {
  /** The kept entries, oldest first. */
  readonly items: T[] = [];
  readonly #limit: number;
  readonly #slack: number;
  #total = 0;

  /** @param limit - Entries to keep after a trim. */
  constructor(limit: number) {
    this.#limit = limit;
    this.#slack = Math.ceil(limit / 10);
  }

  /** How many entries were ever pushed, trimmed ones included. */
  get total(): number {
    return this.#total;
  }

  /** Appends an entry, dropping the oldest ones once the limit plus slack is passed. */
  push(item: T): void {
    this.items.push(item);
    this.#total += 1;
    if (this.items.length > this.#limit + this.#slack) this.items.splice(0, this.items.length - this.#limit);
  }

  /** Forgets every entry (the total is kept). */
  clear(): void {
    this.items.length = 0;
  }
}
