/** A room and its number of members. */
export type RoomSize = { readonly name: string; readonly members: number };

/** What {@link largestRooms} reads: the local room index. */
export interface RoomSource {
  rooms(): Iterable<string>;
  membersOf(room: string): ReadonlySet<string>;
}

/**
 * The `limit` largest rooms, largest first and by name among equals, in one pass over the index
 * without sorting it: a room smaller than the current last one costs one comparison.
 */
export function largestRooms(index: RoomSource, limit: number): RoomSize[] {
  const top: RoomSize[] = [];
  if (limit <= 0) return top;
  for (const name of index.rooms()) {
    const members = index.membersOf(name).size;
    if (top.length === limit && !ranksBefore(members, name, top[limit - 1])) continue;
    let low = 0;
    let high = top.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (ranksBefore(members, name, top[middle])) high = middle;
      else low = middle + 1;
    }
    top.splice(low, 0, { name, members });
    if (top.length > limit) top.pop();
  }
  return top;
}

function ranksBefore(members: number, name: string, other: RoomSize): boolean {
  return members > other.members || (members === other.members && name < other.name);
}
