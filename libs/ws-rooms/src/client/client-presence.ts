import { ReservedEvent } from '../protocol/protocol.constants';
import type { ClientDecodedValue } from './client-codec';
import type { ErrorReporter } from './error-reporter';
import { ListenerRegistry } from './listener-registry';
import { parsePresence, PresenceView, type PresenceChange } from './presence-view';

/**
 * The client's presence: the view of the presence-tracked rooms it is in, kept from the server's
 * `ws-rooms:presence` events, and the `onPresence` listeners told of each change.
 */
export class ClientPresence {
  /** The `onPresence` listeners. */
  readonly listeners = new ListenerRegistry<[PresenceChange]>();
  /** The members of each room, as the client knows them. */
  readonly view = new PresenceView();

  constructor(private readonly errors: ErrorReporter) {}

  /** A `ws-rooms:presence` payload. */
  receive(value: ClientDecodedValue): void {
    const parsed = parsePresence(value);
    if (parsed === undefined) {
      this.errors.invalidReserved(
        ReservedEvent.Presence,
        '{ room, joined | left | members, version? }',
      );
      return;
    }
    // A change the view already has (it came from another node after a newer list): not news.
    const change = this.view.applyChange(parsed);
    if (change !== undefined) this.listeners.emit(this.errors.listenerFailed, change);
  }

  /** Empties the view, telling listeners each room is gone (an empty `members` list). */
  forget(): void {
    for (const room of this.view.clear()) {
      this.listeners.emit(this.errors.listenerFailed, { type: 'members', room, members: [] });
    }
  }
}
