import { MemoryRoomStore } from 'ws-rooms';
import { describeRoomSemantics } from './shared/room-semantics.suite';

// The reference: one node, rooms in memory. The Redis store must pass the same suite with 3 nodes.
describeRoomSemantics('room semantics: in-memory store, 1 node', {
  nodes: 1,
  createStore: () => new MemoryRoomStore(),
});
