import type { Logger } from '@nestjs/common';
import type { Connection } from '../../connection/connection';
import type { RemoteCommand } from '../../store/room-store.interface';
import type { LogBudget } from '../../util/log-budget';
import type { RecoveryExtension } from '../extensions/recovery-extension';
import type { ConnectionCloser } from '../lifecycle/connection-closer';
import type { Membership } from './membership';

/**
 * Runs a membership or lifecycle command for a local connection, whichever node asked (services,
 * other nodes through the store, a resuming client's takeover). False when the connection is not
 * here or, for a takeover, does not match; a takeover resolves once the session is kept.
 */
export function runCommandLocally(
  connection: Connection | undefined,
  command: RemoteCommand,
  parts: {
    readonly membership: Membership;
    readonly closer: ConnectionCloser;
    readonly recovery: RecoveryExtension | null;
    readonly logger: Logger;
    readonly logBudget: LogBudget;
  },
): boolean | Promise<boolean> {
  if (connection === undefined) return false;
  switch (command.kind) {
    case 'takeover': {
      if (parts.recovery?.matchesTakeover(connection, command.token, command.owner) !== true) {
        return false;
      }
      // The peer is gone (it is reconnecting): no close frame, and the session is kept for it.
      const why = 'replaced by a resumed session';
      const kept = parts.closer.close(connection, 1006, why, 'server', true);
      return kept === undefined ? true : kept.then(() => true);
    }
    case 'join':
      try {
        void parts.membership.join(connection, command.room);
      } catch (error) {
        if (parts.logBudget.allow()) {
          parts.logger.warn(`remote join of ${connection.id} refused: ${(error as Error).message}`);
        }
      }
      return true;
    case 'leave':
      void parts.membership.leave(connection, command.room);
      return true;
    case 'disconnect':
      parts.closer.close(connection, command.code, command.reason);
      return true;
  }
}
