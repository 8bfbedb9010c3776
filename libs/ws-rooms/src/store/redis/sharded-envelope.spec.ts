import fc from 'fast-check';
import { decodeEnvelope, encodeEnvelope, MAX_ENVELOPE_NUMBER } from './sharded-envelope';

describe('sharded envelope', () => {
  it('round-trips every field', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 2, max: 255 }),
        fc.integer({ min: 0, max: MAX_ENVELOPE_NUMBER }),
        fc.integer({ min: 0, max: MAX_ENVELOPE_NUMBER }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        (ordered, copies, epoch, sequence, bytes) => {
          const body = Buffer.from(bytes);
          const message = { ordered, fence: false, copies, epoch, sequence, body };
          expect(decodeEnvelope(encodeEnvelope(message))).toEqual(message);
          const fence = { ...message, fence: true, body: Buffer.alloc(0) };
          expect(decodeEnvelope(encodeEnvelope(fence))).toEqual(fence);
        },
      ),
    );
  });

  it('lays the header out as documented', () => {
    const data = encodeEnvelope({
      ordered: true,
      fence: false,
      copies: 1,
      epoch: 0x010203040506,
      sequence: 7,
      body: Buffer.from('W'),
    });
    expect([...data]).toEqual([0x53, 1, 1, 1, 1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 7, 0x57]);
  });

  it('refuses what is not an envelope', () => {
    const valid = encodeEnvelope({
      ordered: true,
      fence: false,
      copies: 3,
      epoch: 1,
      sequence: 1,
      body: Buffer.from('x'),
    });
    const altered = (index: number, value: number) => {
      const copy = Buffer.from(valid);
      copy[index] = value;
      return copy;
    };
    expect(decodeEnvelope(Buffer.alloc(0))).toBeNull();
    expect(decodeEnvelope(valid.subarray(0, 15))).toBeNull();
    expect(decodeEnvelope(altered(0, 0x57))).toBeNull(); // a bare wire message
    expect(decodeEnvelope(altered(1, 2))).toBeNull(); // an unknown version
    expect(decodeEnvelope(altered(2, 4))).toBeNull(); // unknown flags
    expect(decodeEnvelope(altered(3, 0))).toBeNull(); // no copies
    expect(decodeEnvelope(valid.subarray(0, 16))).toBeNull(); // no body, not a fence
    const fenceWithBody = altered(2, 3);
    expect(decodeEnvelope(fenceWithBody)).toBeNull();
    const loneFence = encodeEnvelope({
      ordered: true,
      fence: true,
      copies: 2,
      epoch: 1,
      sequence: 1,
      body: Buffer.alloc(0),
    });
    loneFence[3] = 1;
    expect(decodeEnvelope(loneFence)).toBeNull();
  });
});
