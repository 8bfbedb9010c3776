import { WsRoomsError } from '../../errors/ws-rooms.error';
import { resolveOptions } from '../../options/resolve-options';
import type { WsRoomsOptions } from '../../options/ws-rooms-options.interface';
import { ConnectionRateLimiter } from './connection-rate-limiter';

/** A limiter on a clock the test moves by hand. */
function limiter(rate: number, burst: number, maxAddresses = 100) {
  const clock = { now: 1_000 };
  return { clock, limiter: new ConnectionRateLimiter(rate, burst, maxAddresses, () => clock.now) };
}

/** How many of `count` upgrades from `address` get through now. */
function takeMany(rate: ConnectionRateLimiter, address: string, count: number): number {
  let allowed = 0;
  for (let i = 0; i < count; i++) if (rate.tryTake(address) === null) allowed++;
  return allowed;
}

describe('ConnectionRateLimiter', () => {
  it('lets a burst through at once, then the sustained rate', () => {
    const { clock, limiter: rate } = limiter(20, 40);
    expect(takeMany(rate, 'a', 100)).toBe(40);
    clock.now += 500;
    expect(takeMany(rate, 'a', 100)).toBe(10);
    clock.now += 1000;
    expect(takeMany(rate, 'a', 100)).toBe(20);
  });

  it('answers a refusal with the whole seconds until the next token (Retry-After, at least 1)', () => {
    const { clock, limiter: rate } = limiter(1, 1);
    expect(rate.tryTake('a')).toBeNull();
    expect(rate.tryTake('a')).toBe(1);
    clock.now += 999;
    expect(rate.tryTake('a')).toBe(1);
    const slow = limiter(0.25, 1).limiter;
    expect(slow.tryTake('b')).toBeNull();
    expect(slow.tryTake('b')).toBe(4);
  });

  it('counts each address on its own', () => {
    const { limiter: rate } = limiter(20, 5);
    expect(takeMany(rate, 'a', 10)).toBe(5);
    expect(takeMany(rate, 'b', 10)).toBe(5);
    expect(takeMany(rate, '::1', 10)).toBe(5);
  });

  it('does nothing and tracks nothing with a rate of 0', () => {
    const { limiter: rate } = limiter(0, 1);
    expect(rate.enabled).toBe(false);
    expect(takeMany(rate, 'a', 1000)).toBe(1000);
    expect(rate.size).toBe(0);
  });

  it('forgets addresses whose buckets have refilled', () => {
    const { clock, limiter: rate } = limiter(10, 20);
    for (let i = 0; i < 50; i++) rate.tryTake(`10.0.0.${i}`);
    expect(rate.size).toBe(50);
    // One token each was taken: a tenth of a second refills them all.
    clock.now += 100;
    for (let i = 0; i < 50; i++) rate.tryTake('10.1.0.1');
    expect(rate.size).toBe(1);
  });

  it('keeps an address whose bucket is not full, however long it waits behind others', () => {
    const { clock, limiter: rate } = limiter(10, 20);
    expect(takeMany(rate, 'flooder', 100)).toBe(20);
    clock.now += 100;
    rate.tryTake('other');
    // The flooder's bucket holds one token after 100 ms: it must not come back full.
    expect(takeMany(rate, 'flooder', 100)).toBe(1);
  });

  it('tracks at most maxAddresses, forgetting the least recently seen first', () => {
    const { limiter: rate } = limiter(1, 2, 3);
    expect(takeMany(rate, 'a', 5)).toBe(2);
    rate.tryTake('b');
    rate.tryTake('c');
    // 'a' is seen again, so 'b' is now the least recently seen.
    expect(rate.tryTake('a')).not.toBeNull();
    rate.tryTake('d');
    expect(rate.size).toBe(3);
    // 'a' was kept (still refused); 'b' was forgotten (a full bucket again).
    expect(rate.tryTake('a')).not.toBeNull();
    expect(takeMany(rate, 'b', 5)).toBe(2);
    expect(rate.size).toBe(3);
  });

  it('stays within maxAddresses under a flood of distinct addresses', () => {
    const { limiter: rate } = limiter(20, 40, 1000);
    for (let i = 0; i < 100_000; i++) rate.tryTake(`2001:db8::${i.toString(16)}`);
    expect(rate.size).toBe(1000);
  });

  it('never refills from a clock that goes back', () => {
    const { clock, limiter: rate } = limiter(1, 2);
    expect(takeMany(rate, 'a', 5)).toBe(2);
    clock.now -= 10_000;
    expect(takeMany(rate, 'a', 5)).toBe(0);
  });
});

describe('resolveOptions: connection rate per address', () => {
  function failure(options: Partial<WsRoomsOptions>): string {
    try {
      resolveOptions({ endpoint: '/ws', ...options });
    } catch (error) {
      expect(error).toBeInstanceOf(WsRoomsError);
      return (error as Error).message;
    }
    throw new Error('expected resolveOptions to throw');
  }

  it('defaults to 20 upgrades/s, a burst of 40, 10000 addresses tracked', () => {
    expect(resolveOptions({ endpoint: '/ws' })).toMatchObject({
      maxConnectionRatePerAddress: 20,
      maxConnectionBurstPerAddress: 40,
      maxConnectionRateAddresses: 10_000,
    });
  });

  it('accepts 0 to disable the rate', () => {
    expect(
      resolveOptions({ endpoint: '/ws', maxConnectionRatePerAddress: 0 })
        .maxConnectionRatePerAddress,
    ).toBe(0);
  });

  it.each([
    [{ maxConnectionRatePerAddress: -1 }, '"maxConnectionRatePerAddress" must be a non-negative'],
    [{ maxConnectionRatePerAddress: 1.5 }, '"maxConnectionRatePerAddress" must be a non-negative'],
    [{ maxConnectionBurstPerAddress: 0 }, '"maxConnectionBurstPerAddress" must be a positive'],
    [{ maxConnectionRateAddresses: 0 }, '"maxConnectionRateAddresses" must be a positive'],
    [
      { maxConnectionRateAddresses: '5' as unknown as number },
      '"maxConnectionRateAddresses" must be a positive',
    ],
  ])('refuses %p', (options, message) => {
    expect(failure(options)).toContain(message);
  });
});
