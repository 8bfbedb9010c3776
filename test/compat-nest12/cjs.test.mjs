// NestJS 12 with a CommonJS app: `require` of ws-rooms and of ws-rooms/client (the CommonJS build).
import { createRequire } from 'node:module';
import { defineScenarios } from './scenarios.mjs';

const require = createRequire(import.meta.url);
const fixture = require('./apps/cjs-app.cjs');
const { WsRoomsClient } = require('ws-rooms/client');

defineScenarios(
  'CommonJS app',
  fixture,
  {
    WsRoomsClient,
    resolved: require.resolve('ws-rooms/client'),
    expectedEntry: /[/\\]ws-rooms[/\\]dist[/\\]client[/\\]index\.js$/,
  },
  require.resolve('ws-rooms'),
);
