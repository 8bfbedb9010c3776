// The fixture app as an ES module: ws-rooms (CommonJS) is loaded with `import`, and its named
// exports must be visible to ESM (Node's CommonJS export detection).
import 'reflect-metadata';
import {
  Catch,
  Controller,
  Get,
  Injectable,
  Module,
  Query,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { SubscribeMessage, WebSocketServer, WsException } from '@nestjs/websockets';
import {
  ConnectedSocket,
  MessageBody,
  MessageIsBinary,
  OnEvent,
  OnMessage,
  RoomsService,
  WsRoomsGateway,
  WsRoomsModule,
} from 'ws-rooms';
import fixture from '../fixture/chat-fixture.cjs';

export const { events, startApp } = fixture.createFixture({
  nest: { Catch, Controller, Get, Injectable, Module, Query, UseFilters, UseGuards },
  core: { APP_GUARD, NestFactory },
  websockets: { SubscribeMessage, WebSocketServer, WsException },
  wsRooms: {
    ConnectedSocket,
    MessageBody,
    MessageIsBinary,
    OnEvent,
    OnMessage,
    RoomsService,
    WsRoomsGateway,
    WsRoomsModule,
  },
});
