import { Inject } from '@nestjs/common';
import { getConnectionsServiceToken, getRoomsServiceToken } from '../constants';
import { DEFAULT_ENDPOINT_NAME } from '../options/resolve-options';

/** Injects the {@link RoomsService} of a named endpoint. */
export function InjectRooms(
  endpoint: string = DEFAULT_ENDPOINT_NAME,
): PropertyDecorator & ParameterDecorator {
  return Inject(getRoomsServiceToken(endpoint));
}

/** Injects the {@link ConnectionsService} of a named endpoint. */
export function InjectConnections(
  endpoint: string = DEFAULT_ENDPOINT_NAME,
): PropertyDecorator & ParameterDecorator {
  return Inject(getConnectionsServiceToken(endpoint));
}
