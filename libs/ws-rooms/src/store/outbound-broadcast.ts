// Its own file so that both store interfaces can name it without importing each other.

/** A broadcast as it travels between nodes: encoded once, never per recipient. */
export interface OutboundBroadcast {
  /** The encoded protocol message (not yet framed). */
  readonly message: Buffer;
  /** Send as a binary frame. */
  readonly binary: boolean;
  /** Rooms (or connection ids) to reach; `null` means every connection of the endpoint. */
  readonly rooms: readonly string[] | null;
  /** Rooms (or connection ids) whose members are skipped. */
  readonly except: readonly string[];
  /** Drop instead of queueing for connections that are already backed up. */
  readonly volatile: boolean;
}
