/**
 * Which member of a pool holds each topic, never more than `cap` per member, and the members in
 * order. New topics go to the first member with room (first fit), so a pool opens no more
 * connections than its topics need; a placed topic never moves (a move costs an unsubscribe, a
 * subscribe and possibly a gap). Pure bookkeeping: no I/O, no timers.
 */
export class Placement<M> {
  readonly #cap: number;
  readonly #members: M[] = [];
  readonly #owner = new Map<string, M>();
  readonly #topicsOf = new Map<M, Set<string>>();

  /** @param cap - Most topics one member holds (an integer >= 1). */
  constructor(cap: number) {
    this.#cap = cap;
  }

  /** The members, in the order they were added. */
  get members(): readonly M[] {
    return this.#members;
  }

  /** Every placed topic, in placement order. */
  topics(): IterableIterator<string> {
    return this.#owner.keys();
  }

  /** Every placed topic with its member. */
  owners(): IterableIterator<[string, M]> {
    return this.#owner.entries();
  }

  /** How many topics a member holds. */
  loadOf(member: M): number {
    return this.#topicsOf.get(member)?.size ?? 0;
  }

  /** Appends a member with no topics. */
  add(member: M): void {
    this.#members.push(member);
    this.#topicsOf.set(member, new Set());
  }

  /** Removes a member; its topics, if any, are forgotten. */
  remove(member: M): void {
    const index = this.#members.indexOf(member);
    if (index !== -1) this.#members.splice(index, 1);
    for (const topic of this.#topicsOf.get(member) ?? []) this.#owner.delete(topic);
    this.#topicsOf.delete(member);
  }

  /**
   * Places the topics not placed yet, first fit over the members in order; when every member is
   * full, `grow()` must create a member and `add()` it.
   * @returns The topics given to each member, in order.
   */
  place(topics: Iterable<string>, grow: () => void): Map<M, string[]> {
    const given = new Map<M, string[]>();
    let cursor = 0;
    for (const topic of topics) {
      if (this.#owner.has(topic)) continue;
      while (cursor < this.#members.length && this.loadOf(this.#members[cursor]!) >= this.#cap) cursor++;
      if (cursor === this.#members.length) grow();
      const member = this.#members[cursor];
      if (member === undefined) throw new Error('resilient-stream bug: Placement.place() grew no member');
      this.#owner.set(topic, member);
      this.#topicsOf.get(member)!.add(topic);
      const list = given.get(member);
      if (list === undefined) given.set(member, [topic]);
      else list.push(topic);
    }
    return given;
  }

  /**
   * Forgets the topics that are placed; the others are ignored.
   * @returns The topics taken from each member.
   */
  release(topics: Iterable<string>): Map<M, string[]> {
    const taken = new Map<M, string[]>();
    for (const topic of topics) {
      const member = this.#owner.get(topic);
      if (member === undefined) continue;
      this.#owner.delete(topic);
      this.#topicsOf.get(member)!.delete(topic);
      const list = taken.get(member);
      if (list === undefined) taken.set(member, [topic]);
      else list.push(topic);
    }
    return taken;
  }
}
