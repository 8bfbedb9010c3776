import type { BroadcastRequestResult } from '../../interfaces/broadcast-operator.interface';
import { All, Broadcast, NotMe } from '../../interfaces/targets';
import type { EmitValue } from '../../protocol/message-codec';
import { type BroadcastSink, RoomBroadcastOperator } from './broadcast-operator';

interface RecordedBroadcast {
  readonly message: string;
  readonly binary: boolean;
  readonly rooms: readonly string[] | null;
  readonly except: readonly string[];
  readonly isVolatile: boolean;
}

/** Records broadcasts; "encodes" events and native messages as readable text. */
class FakeSink implements BroadcastSink {
  readonly broadcasts: RecordedBroadcast[] = [];
  readonly encodedEvents: { event: string; value: EmitValue }[] = [];
  readonly binaryChecks: { message: string; isEvent: boolean }[] = [];
  readonly requests: {
    rooms: readonly string[] | null;
    except: readonly string[];
    event: string;
    value: EmitValue;
    timeout: number | undefined;
  }[] = [];
  binaryFrames = false;

  async requestAll(
    rooms: readonly string[] | null,
    except: readonly string[],
    event: string,
    value: EmitValue,
    timeout: number | undefined,
  ): Promise<BroadcastRequestResult<unknown>> {
    this.requests.push({ rooms, except, event, value, timeout });
    return { replies: new Map([['a', 'pong']]), errors: new Map(), missing: ['b'], partial: false };
  }

  broadcast(
    message: Buffer,
    binary: boolean,
    rooms: readonly string[] | null,
    except: readonly string[],
    isVolatile: boolean,
  ): void {
    this.broadcasts.push({ message: message.toString(), binary, rooms, except, isVolatile });
  }

  encodeEvent(event: string, value: EmitValue): Buffer {
    this.encodedEvents.push({ event, value });
    return Buffer.from(`event:${event}=${JSON.stringify(value)}`);
  }

  encodeNative(data: string | Uint8Array): Buffer {
    return Buffer.from(`native:${Buffer.from(data).toString()}`);
  }

  isBinaryFrame(message: Buffer, isEvent: boolean): boolean {
    this.binaryChecks.push({ message: message.toString(), isEvent });
    return this.binaryFrames;
  }
}

describe('RoomBroadcastOperator', () => {
  let sink: FakeSink;
  /** A broadcast started by the connection `me`. */
  let fromMe: RoomBroadcastOperator;
  /** A broadcast started by the server (no sender). */
  let fromServer: RoomBroadcastOperator;

  beforeEach(() => {
    sink = new FakeSink();
    fromMe = new RoomBroadcastOperator(sink, 'me');
    fromServer = new RoomBroadcastOperator(sink, undefined);
  });

  const targetsOf = (index = 0) => {
    const { rooms, except, isVolatile } = sink.broadcasts[index];
    return { rooms, except, isVolatile };
  };

  describe('targets', () => {
    it('to(room) reaches that room', () => {
      fromMe.to('lobby').emit('chat', 'hi');
      expect(targetsOf()).toEqual({ rooms: ['lobby'], except: [], isVolatile: false });
    });

    it('to(a).to(b) reaches both rooms, and a repeated room is listed once', () => {
      fromMe.to('a').to('b').to('a').emit('chat', 'hi');
      expect(targetsOf().rooms).toEqual(['a', 'b']);
    });

    it('in() is the same as to()', () => {
      fromMe.in('a').in('b').emit('chat', 'hi');
      expect(targetsOf().rooms).toEqual(['a', 'b']);
    });

    it('to(All) reaches every connection, the sender included', () => {
      fromMe.to(All).emit('chat', 'hi');
      expect(targetsOf()).toEqual({ rooms: null, except: [], isVolatile: false });
    });

    it('to(NotMe) reaches every connection except the sender', () => {
      fromMe.to(NotMe).emit('chat', 'hi');
      expect(targetsOf()).toEqual({ rooms: null, except: ['me'], isVolatile: false });
    });

    it('Broadcast is another name for NotMe', () => {
      fromMe.to(Broadcast).emit('chat', 'hi');
      expect(targetsOf().except).toEqual(['me']);
    });

    it('to(NotMe) from the server, which has no sender, reaches everyone', () => {
      fromServer.to(NotMe).emit('chat', 'hi');
      expect(targetsOf()).toEqual({ rooms: null, except: [], isVolatile: false });
    });

    it('All absorbs rooms named before or after it', () => {
      fromMe.to('a').to(All).emit('one', 1);
      fromMe.to(All).to('b').emit('two', 2);
      expect(targetsOf(0).rooms).toBeNull();
      expect(targetsOf(1).rooms).toBeNull();
    });

    it('except() skips rooms or ids, combined with rooms', () => {
      fromMe.to('lobby').except('muted').except('bob').emit('chat', 'hi');
      expect(targetsOf()).toEqual({
        rooms: ['lobby'],
        except: ['muted', 'bob'],
        isVolatile: false,
      });
    });

    it('except() combines with All and with NotMe', () => {
      fromMe.to(All).except('muted').emit('one', 1);
      fromMe.except('muted').to(NotMe).emit('two', 2);
      expect(targetsOf(0)).toEqual({ rooms: null, except: ['muted'], isVolatile: false });
      expect(targetsOf(1)).toEqual({ rooms: null, except: ['muted', 'me'], isVolatile: false });
    });

    it('volatile marks the broadcast and keeps its targets', () => {
      fromMe.to('lobby').except('bob').volatile.emit('pos', { x: 1 });
      expect(targetsOf()).toEqual({ rooms: ['lobby'], except: ['bob'], isVolatile: true });
    });

    it('volatile stays on through later calls', () => {
      fromMe.volatile.to('a').to(NotMe).emit('pos', 1);
      expect(targetsOf()).toEqual({ rooms: null, except: ['me'], isVolatile: true });
    });

    it('refuses a target that is not a string', () => {
      expect(() => fromMe.to(42 as unknown as string)).toThrow(
        new TypeError('to(): target must be a string'),
      );
    });
  });

  describe('binary', () => {
    it('sends binary frames whatever the sink would choose, and keeps the targets', () => {
      fromMe.to('lobby').except('bob').binary.emit('chat', 'hi');
      fromMe.to('lobby').emit('chat', 'hi');
      expect(sink.broadcasts.map((broadcast) => broadcast.binary)).toEqual([true, false]);
      expect(targetsOf(0)).toEqual({ rooms: ['lobby'], except: ['bob'], isVolatile: false });
    });

    it('combines with volatile, in either order', () => {
      fromMe.to('a').binary.volatile.emitMessage('x');
      fromMe.to('a').volatile.binary.emitMessage('y');
      expect(sink.broadcasts.map(({ binary, isVolatile }) => ({ binary, isVolatile }))).toEqual([
        { binary: true, isVolatile: true },
        { binary: true, isVolatile: true },
      ]);
    });
  });

  describe('request', () => {
    it('asks the sink for the replies of the targets', async () => {
      const result = await fromMe.to('lobby').except('bob').request('ping', 1, { timeout: 200 });
      expect(sink.requests).toEqual([
        { rooms: ['lobby'], except: ['bob'], event: 'ping', value: 1, timeout: 200 },
      ]);
      expect(result.replies.get('a')).toBe('pong');
      expect(result.missing).toEqual(['b']);
    });

    it('asks everyone but the sender for to(NotMe)', async () => {
      await fromMe.to(NotMe).request('ping');
      expect(sink.requests).toEqual([
        { rooms: null, except: ['me'], event: 'ping', value: undefined, timeout: undefined },
      ]);
    });

    it('resolves an empty result without asking anyone when no target was named', async () => {
      const result = await fromMe.request('ping', 1);
      expect(sink.requests).toEqual([]);
      expect(result.replies.size).toBe(0);
      expect(result.errors.size).toBe(0);
      expect(result.missing).toEqual([]);
    });
  });

  describe('immutability', () => {
    it('leaves a partially built operator unchanged, so it can be reused', () => {
      const lobby = fromMe.to('lobby');
      lobby.to('games').except('bob').volatile.emit('one', 1);
      lobby.emit('two', 2);
      expect(targetsOf(0)).toEqual({
        rooms: ['lobby', 'games'],
        except: ['bob'],
        isVolatile: true,
      });
      expect(targetsOf(1)).toEqual({ rooms: ['lobby'], except: [], isVolatile: false });
    });

    it('does not let binary or volatile on one branch leak into another', () => {
      const base = fromMe.to('lobby');
      base.binary.volatile.emit('one', 1);
      base.emit('two', 2);
      expect(sink.broadcasts[1]).toMatchObject({ binary: false, isVolatile: false });
    });

    it('does not let NotMe on one branch leak into another', () => {
      const base = fromMe.to('lobby');
      base.to(NotMe).emit('one', 1);
      base.emit('two', 2);
      expect(targetsOf(1)).toEqual({ rooms: ['lobby'], except: [], isVolatile: false });
    });
  });

  describe('an empty target', () => {
    it('sends nothing when no target was named', () => {
      fromMe.emit('chat', 'hi');
      fromMe.emitMessage('raw');
      fromMe.except('bob').emit('chat', 'hi');
      fromMe.volatile.emit('chat', 'hi');
      expect(sink.broadcasts).toEqual([]);
    });

    it('still validates the event (encoding runs before the target check)', () => {
      fromMe.emit('chat', 'hi');
      expect(sink.encodedEvents).toEqual([{ event: 'chat', value: 'hi' }]);
    });
  });

  describe('encoding', () => {
    it('emit encodes the event once and asks whether an event frame is binary', () => {
      fromMe.to('a').to('b').emit('chat', { text: 'hi' });
      expect(sink.encodedEvents).toEqual([{ event: 'chat', value: { text: 'hi' } }]);
      expect(sink.binaryChecks).toEqual([{ message: 'event:chat={"text":"hi"}', isEvent: true }]);
      expect(sink.broadcasts).toHaveLength(1);
      expect(sink.broadcasts[0].message).toBe('event:chat={"text":"hi"}');
      expect(sink.broadcasts[0].binary).toBe(false);
    });

    it('emitMessage encodes a native message and asks whether a native frame is binary', () => {
      sink.binaryFrames = true;
      fromMe.to('a').emitMessage('raw text');
      expect(sink.binaryChecks).toEqual([{ message: 'native:raw text', isEvent: false }]);
      expect(sink.broadcasts[0]).toMatchObject({ message: 'native:raw text', binary: true });
    });
  });
});
