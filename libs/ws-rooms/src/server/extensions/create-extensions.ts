import type { Logger } from '@nestjs/common';
import type { BroadcastOperator } from '../../interfaces/broadcast-operator.interface';
import type { ResolvedWsRoomsOptions } from '../../options/ws-rooms-options.interface';
import type { EmitValue } from '../../protocol/message-codec';
import { ReservedEvent } from '../../protocol/protocol.constants';
import { MemoryPresenceStore } from '../../store/memory-presence-store';
import type { RecoveryStore } from '../../store/recovery-store.interface';
import type { RemoteCommand, RoomStore } from '../../store/room-store.interface';
import { describeError } from '../../util/describe-error';
import type { Scheduler } from '../../util/scheduler';
import type { ConnectionCloser } from '../lifecycle/connection-closer';
import type { ConnectionRegistry } from '../lifecycle/connection-registry';
import { PresenceCoordinator } from './presence-coordinator';
import { PresenceTracker } from './presence-tracker';
import { RecoveryLog } from '../../store/recovery-log';
import type { Membership } from '../rooms/membership';
import type { WsRoomsStats } from '../server-stats';
import { IdentityExtension } from './identity-extension';
import { PresenceExtension } from './presence-extension';
import { RecoveryExtension } from './recovery-extension';
import { SessionBudget } from './session-budget';

/**
 * What the extensions are built from. Membership and the closer are built after the extensions
 * (they call the extensions' hooks), so they are reached through getters.
 */
export interface ExtensionContext {
  readonly options: ResolvedWsRoomsOptions;
  readonly store: RoomStore;
  readonly stats: WsRoomsStats;
  readonly connections: ConnectionRegistry;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  track(result: unknown): void;
  membership(): Membership;
  closer(): ConnectionCloser;
  command(command: RemoteCommand): Promise<boolean>;
  broadcastFrom(senderId: string | undefined): BroadcastOperator;
}

/** Tells clients that ask their connection id (always on: a client opts in per connection). */
export function createIdentityExtension(): IdentityExtension {
  return new IdentityExtension();
}

/** Presence of opted-in rooms (the `presence` option), with the store's shared records if any. */
export function createPresenceExtension(context: ExtensionContext): PresenceExtension | null {
  const { options, store, connections, logger } = context;
  if (options.presence === false) return null;
  const coordinator = new PresenceCoordinator(
    new PresenceTracker(options.presence),
    store.createPresenceStore?.() ?? new MemoryPresenceStore(),
    {
      toRoom: (room, payload, except) => {
        const operator = context.broadcastFrom(except ?? undefined).to(room);
        (except === null ? operator : operator.except(except)).emit(
          ReservedEvent.Presence,
          payload as unknown as EmitValue,
        );
      },
      toConnection: (connectionId, payload) => {
        const connection = connections.get(connectionId);
        if (connection !== undefined && !connection.closed) {
          connection.emit(ReservedEvent.Presence, payload as unknown as EmitValue);
        }
      },
      failed: (error) => logger.error(`presence store failed: ${describeError(error)}`),
    },
  );
  return new PresenceExtension(coordinator, (result) => context.track(result));
}

/** Missed-message recovery (the `recovery` option), with the store's shared log if any. */
export function createRecoveryExtension(
  context: ExtensionContext,
  presence: PresenceExtension | null,
): { readonly extension: RecoveryExtension; readonly log: RecoveryStore } | null {
  const { options, store, scheduler, connections, logger } = context;
  const recovery = options.recovery;
  if (recovery === false) return null;
  const shared = store.createRecoveryStore?.(recovery);
  const log =
    shared ?? new RecoveryLog(recovery.windowMs, recovery.maxMessages, recovery.maxLogBytes);
  // A shared log compares timestamps written by several machines: those need the wall clock.
  const now = shared === undefined ? () => scheduler.now() : () => Date.now();
  const budget = new SessionBudget(recovery, () => scheduler.now());
  const extension = new RecoveryExtension(log, budget, {
    membership: {
      restore: (connection, room) => context.membership().restore(connection, room),
      forget: (connection, room) => context.membership().forget(connection, room),
    },
    stats: context.stats,
    maxBufferedBytes: options.maxBufferedBytes,
    messagePrefix: options.messagePrefix,
    now,
    hasConnection: (id) => connections.has(id),
    command: (command) => context.command(command),
    cutSlowConsumer: (connection, why) => context.closer().cutSlowConsumer(connection, why),
    track: (result) => context.track(result),
    failed: (what, error) => logger.error(`${what} failed: ${describeError(error)}`),
    resumed: (connection, rooms, ready) => presence?.resumed(connection, rooms, ready),
  });
  return { extension, log };
}
