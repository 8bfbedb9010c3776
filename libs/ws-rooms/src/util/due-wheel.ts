/** What the wheel stores on an entry: the set it sits in (-1: none). Written by the wheel only. */
export interface WheelEntry {
  wheelSlot: number;
}

/**
 * A timing wheel: entries filed by due time into slots `slotWidth` ms wide, so that one `take`
 * touches only the entries whose slot has come, not every entry. An entry sits in at most one slot
 * (its index is kept on the entry, so removal is O(1) and needs no lookup table). Scheduling and
 * removal allocate nothing per call beyond what a `Set` does when it grows.
 *
 * `take(now, visit)` hands over every entry due at or before `now` (and a few due later within the
 * current slot); `visit` must schedule the entry again or leave it out. An entry due after `now` is
 * never lost: it waits in the slot of its due time, or in the `late` set when that slot was already
 * taken, which the next `take` looks at first.
 */
export class DueWheel<T extends WheelEntry> {
  private readonly slots: Set<T>[];
  /** Ring index of the set of entries due within the slot last taken: looked at on every take. */
  private readonly lateIndex: number;
  /** Absolute number of the last slot taken. */
  private cursor: number;
  private count = 0;

  /**
   * @param slotWidth milliseconds per slot (the caller's tick).
   * @param horizon the furthest ahead of `now` an entry is ever scheduled, in milliseconds.
   * @param origin the clock reading slot 0 starts at.
   */
  constructor(
    readonly slotWidth: number,
    horizon: number,
    private readonly origin: number,
  ) {
    // Room for the horizon, plus slack so that a take that catches up a few late ticks never
    // refiles an entry into a slot it has still to take.
    const ring = Math.ceil(horizon / slotWidth) + 2 + CATCH_UP_SLOTS;
    this.slots = Array.from({ length: ring + 2 }, () => new Set<T>());
    this.lateIndex = ring;
    this.cursor = this.slotOf(origin);
  }

  /** Entries in the wheel. */
  get size(): number {
    return this.count;
  }

  /** Files `entry` under `dueAt` (monotonic ms), moving it if it was already in the wheel. */
  schedule(entry: T, dueAt: number): void {
    this.remove(entry);
    const absolute = this.slotOf(dueAt);
    const index = absolute <= this.cursor ? this.lateIndex : absolute % this.lateIndex;
    this.slots[index].add(entry);
    entry.wheelSlot = index;
    this.count++;
  }

  /** Takes `entry` out of the wheel; nothing when it is not in it. */
  remove(entry: T): void {
    const index = entry.wheelSlot;
    if (index < 0) return;
    this.slots[index].delete(entry);
    entry.wheelSlot = -1;
    this.count--;
  }

  /**
   * Hands `visit` every entry of the slots that have begun by `now` and not been taken yet, and of
   * the late set; each is out of the wheel when `visit` sees it.
   */
  take(now: number, visit: (entry: T) => void): void {
    const target = this.slotOf(now);
    const ring = this.lateIndex;
    // Swap in a fresh late set first: what `visit` files as late now waits for the next take.
    const late = this.slots[ring];
    const spare = this.slots[ring + 1];
    this.slots[ring] = spare;
    this.slots[ring + 1] = late;
    for (const entry of late) entry.wheelSlot = ring + 1;
    const from = this.cursor + 1;
    // From here on, an entry filed for a slot up to `target` goes to the (new) late set.
    this.cursor = Math.max(this.cursor, target);
    if (target - from >= CATCH_UP_SLOTS) {
      // The timer was stalled for a long time: look at everything once (rare, O(entries)).
      for (let index = 0; index < ring; index++) {
        const slot = this.slots[index];
        for (const entry of slot) {
          late.add(entry);
          entry.wheelSlot = ring + 1;
        }
        slot.clear();
      }
    } else {
      for (let absolute = from; absolute <= target; absolute++) {
        this.drain(this.slots[absolute % ring], visit);
      }
    }
    this.drain(late, visit);
  }

  private drain(slot: Set<T>, visit: (entry: T) => void): void {
    if (slot.size === 0) return;
    for (const entry of slot) {
      entry.wheelSlot = -1;
      this.count--;
      // Re-filed entries go to a slot after the cursor or to the new late set, never into this one
      // (the ring has CATCH_UP_SLOTS of slack for that), so the loop ends.
      visit(entry);
    }
    slot.clear();
  }

  private slotOf(time: number): number {
    return Math.floor((time - this.origin) / this.slotWidth);
  }
}

/** Slots one take may catch up one by one; beyond it, everything is looked at once. */
const CATCH_UP_SLOTS = 8;
