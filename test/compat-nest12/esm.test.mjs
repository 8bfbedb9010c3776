// NestJS 12 with an ES-module app: `import` of ws-rooms and of ws-rooms/client (the ESM bundle).
import { fileURLToPath } from 'node:url';
import { WsRoomsClient } from 'ws-rooms/client';
import * as fixture from './apps/esm-app.mjs';
import { defineScenarios } from './scenarios.mjs';

defineScenarios(
  'ESM app',
  fixture,
  {
    WsRoomsClient,
    resolved: fileURLToPath(import.meta.resolve('ws-rooms/client')),
    expectedEntry: /[/\\]ws-rooms[/\\]assets[/\\]ws-rooms-client\.mjs$/,
  },
  fileURLToPath(import.meta.resolve('ws-rooms')),
);
