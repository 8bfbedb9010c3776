'use strict';
// The fixture app as CommonJS: NestJS 12 is ESM-only, so every `require('@nestjs/...')` here, and the
// ones inside ws-rooms, go through Node's require(esm).
require('reflect-metadata');
const common = require('@nestjs/common');
const core = require('@nestjs/core');
const websockets = require('@nestjs/websockets');
const wsRooms = require('ws-rooms');
const { createFixture } = require('../fixture/chat-fixture.cjs');

const { events, startApp } = createFixture({ nest: common, core, websockets, wsRooms });

module.exports = { events, startApp };
