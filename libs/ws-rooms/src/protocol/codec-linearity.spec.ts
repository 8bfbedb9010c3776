import fc from 'fast-check';
import { ClientCodec } from '../client/client-codec';
import { unwrapMessage } from '../client/recovery-envelope';
import { parseRequestEnvelope } from '../client/request-envelope';
import { exceededJsonBound } from './json-bounds';
import { MessageCodec } from './message-codec';
import { coercePayload } from './payload-coercion';
import { DEFAULT_PREFIX } from './protocol.constants';
import { parseRequest } from './reserved-messages';
import { renderUntrustedName } from './untrusted-name';

/**
 * Every parser of untrusted input takes time linear in its input, on inputs built to be its worst
 * case. Each input family is built at n = 4 KiB and at 16n = 64 KiB (the default `maxMessageSize`);
 * a linear parser takes about 16 times longer on the second, a quadratic one about 256 times. The
 * bounds are generous so that a busy machine does not fail them: a ratio under 64 and under 250 ms
 * for 64 KiB. The harness itself is shown to catch the quadratic pattern these scans replaced.
 */

const SMALL = 4 * 1024;
const LARGE = 16 * SMALL;
const MAX_RATIO = 64;
const MAX_LARGE_MS = 250;
/** Runs averaged for the small input, so that its time is well above the clock's resolution. */
const SMALL_REPEATS = 8;
/** Each measurement is the best of this many trials: noise only ever adds time. */
const TRIALS = 3;
/** Measurements of one input family before it is declared non-linear. */
const ATTEMPTS = 3;
/** A floor for the small time: below it the ratio says nothing. */
const MIN_SMALL_MS = 0.001;

const PREFIX = DEFAULT_PREFIX;

/** Milliseconds per call of `parse(input)`, the best of TRIALS, averaged over `repeats` calls. */
function msPerCall<T>(parse: (input: T) => unknown, input: T, repeats: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let trial = 0; trial < TRIALS; trial++) {
    const start = performance.now();
    for (let i = 0; i < repeats; i++) parse(input);
    best = Math.min(best, (performance.now() - start) / repeats);
  }
  return best;
}

interface Growth {
  readonly smallMs: number;
  readonly largeMs: number;
  readonly ratio: number;
}

/** How the time of `parse` grows from `build(small)` to `build(large)`. */
function growth<T>(
  parse: (input: T) => unknown,
  build: (size: number) => T,
  small = SMALL,
  large = LARGE,
): Growth {
  const smallInput = build(small);
  const largeInput = build(large);
  // Warm-up, so that the first measurement does not pay for compilation.
  parse(smallInput);
  const smallMs = msPerCall(parse, smallInput, SMALL_REPEATS);
  const largeMs = msPerCall(parse, largeInput, 1);
  return { smallMs, largeMs, ratio: largeMs / Math.max(smallMs, MIN_SMALL_MS) };
}

/**
 * Families on which, where `JSON.parse` runs, only the absolute bound is checked, because the step
 * in time is V8's, not ours (our own scans are held to both bounds on them):
 * - objects with many distinct keys: past about a thousand properties V8 moves an object to
 *   dictionary mode, a one-time rise in the cost per key between 4 and 64 KiB (measured in plain
 *   Node: 0.2 ms at 4 KiB, 6 ms at 64 KiB, 53 ms at 256 KiB, 190 ms at 1 MiB, flat per key after);
 * - unclosed deep arrays: refusing them is linear in plain Node (1.2 ms at 64 KiB, also in a
 *   `node:vm` context), but about 50 ms at 64 KiB under Jest, with a step between 4 and 16 KiB.
 */
const PARSER_STEP_FAMILIES: ReadonlySet<string> = new Set([
  'wide object with unique keys',
  'deep arrays, never closed',
]);

function expectLinear<T>(
  what: string,
  parse: (input: T) => unknown,
  build: (size: number) => T,
  ratioApplies = true,
) {
  let report = '';
  // A machine shared with other work can stall any one measurement; a parser that is not linear
  // is slow every time. So a measurement that looks non-linear is taken again, a bounded number of
  // times, and only one that stays non-linear fails.
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const { smallMs, largeMs, ratio } = growth(parse, build);
    report = `${what}: ${smallMs.toFixed(3)} ms at ${SMALL} B, ${largeMs.toFixed(3)} ms at ${LARGE} B (attempt ${attempt})`;
    if ((!ratioApplies || ratio < MAX_RATIO) && largeMs < MAX_LARGE_MS) return;
  }
  expect(report).toBe('linear');
}

/** `unit` repeated to exactly `size` characters, then `tail` (so the last unit may be cut). */
function run(unit: string, tail = ''): (size: number) => string {
  return (size) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size - tail.length) + tail;
}

/** Input families aimed at the number scans, the JSON scan, the head parser and the envelopes. */
const FAMILIES: Readonly<Record<string, (size: number) => string>> = {
  'digits then a letter': run('1', 'x'),
  'digits then a dot and a letter': run('1', '.x'),
  'digits, a dot, digits, then a letter': (size) => run('1', 'x')(size).replace(/^1/, '.'),
  'digits then e': run('1', 'e'),
  'digits then e and a sign': run('1', 'e+'),
  'a run of dots': run('.'),
  'a run of e': run('e'),
  'a run of E then a digit': run('E', '1'),
  'a run of plus signs': run('+'),
  'a run of minus signs then digits': run('-', '12'),
  'alternating 1e': run('1e', 'x'),
  'alternating 1.': run('1.', 'x'),
  'alternating e1': run('e1', '.'),
  'sign, dot, digits': run('-.1', 'e'),
  'a run of semicolons': run(';'),
  'a long name without ";"': run('a'),
  'deep arrays, never closed': run('['),
  'deep arrays, closed': (size) => '['.repeat(size / 2) + ']'.repeat(size / 2),
  'deep objects': run('{"a":'),
  'wide array': (size) => '[' + run('1,', '1]')(size - 1),
  'wide object with unique keys': (size) => {
    let text = '{';
    for (let i = 0; text.length < size - 16; i++) text += `"k${i}":${i},`;
    return text + '"end":0}';
  },
  'an unterminated string': (size) => '"' + run('a')(size - 1),
  'a string of backslashes': (size) => '["' + run('\\\\')(size - 4) + '"]',
  'a string of broken \\u escapes': (size) => '["' + run('\\u')(size - 2),
  'quotes and colons': run('"":'),
};

describe('codec linearity: time grows linearly with the input on worst-case inputs', () => {
  it('the harness catches a quadratic parser (the former decimal pattern)', () => {
    // Smaller sizes than the real checks: the quadratic pattern would take seconds at 64 KiB.
    const formerDecimal = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
    const { ratio, largeMs } = growth(
      (text: string) => formerDecimal.test(text),
      run('1', 'x'),
      512,
      8 * 1024,
    );
    expect(ratio > MAX_RATIO || largeMs > MAX_LARGE_MS).toBe(true);
  });

  const server = new MessageCodec(PREFIX, { maxEventNameLength: 128, maxJsonDepth: 32 });
  const unboundedServer = new MessageCodec(PREFIX, {
    maxJsonDepth: Number.POSITIVE_INFINITY,
    maxJsonValues: Number.POSITIVE_INFINITY,
    maxJsonStringLength: Number.POSITIVE_INFINITY,
  });
  const client = new ClientCodec(PREFIX);
  const unboundedClient = new ClientCodec(PREFIX, {
    maxJsonDepth: Number.POSITIVE_INFINITY,
    maxJsonValues: Number.POSITIVE_INFINITY,
    maxJsonStringLength: Number.POSITIVE_INFINITY,
  });
  const encoder = new TextEncoder();
  const message = (head: string) => (build: (size: number) => string) => (size: number) =>
    Buffer.from(head + build(size - head.length));

  /** Every parser, as a function of one hostile string and how to build its input from it. */
  const TARGETS: readonly {
    name: string;
    check: (family: string, build: (size: number) => string, label: string) => void;
  }[] = [
    {
      name: 'server decode, type 1',
      check: (family, build, label) =>
        expectLinear(label, (data: Buffer) => server.decode(data), message(`${PREFIX}n;1;`)(build)),
    },
    {
      name: 'server decode, type 2',
      check: (family, build, label) =>
        expectLinear(label, (data: Buffer) => server.decode(data), message(`${PREFIX}b;2;`)(build)),
    },
    {
      name: 'server decode, type 4, default bounds',
      check: (family, build, label) =>
        expectLinear(
          label,
          (data: Buffer) => server.decode(data),
          message(`${PREFIX}o;4;`)(build),
          !PARSER_STEP_FAMILIES.has(family),
        ),
    },
    {
      name: 'server decode, type 4, no bounds',
      check: (family, build, label) =>
        expectLinear(
          label,
          (data: Buffer) => unboundedServer.decode(data),
          message(`${PREFIX}o;4;`)(build),
          !PARSER_STEP_FAMILIES.has(family),
        ),
    },
    {
      name: 'server readHeader, the hostile text as the name',
      check: (family, build, label) =>
        expectLinear(label, (data: Buffer) => server.readHeader(data), message(PREFIX)(build)),
    },
    {
      name: 'coercion of a string to Number and Boolean',
      check: (family, build, label) =>
        expectLinear(
          label,
          (text: string) => {
            for (const declared of [Number, Boolean]) {
              try {
                coercePayload(text, declared);
              } catch {
                // Refusing is the expected outcome for most families; only the time matters here.
              }
            }
          },
          build,
        ),
    },
    {
      name: 'JSON bounds scan',
      check: (family, build, label) =>
        expectLinear(
          label,
          (text: string) =>
            exceededJsonBound(text, {
              maxDepth: Number.POSITIVE_INFINITY,
              maxValues: Number.POSITIVE_INFINITY,
              maxStringLength: Number.POSITIVE_INFINITY,
            }),
          build,
        ),
    },
    {
      name: 'parseRequest with and without name limits, and renderUntrustedName',
      check: (family, build, label) =>
        expectLinear(
          label,
          (event: string) => {
            parseRequest({ id: 1, event, bytes: event }, { maxEventNameLength: 128 });
            parseRequest({ id: 1, event, value: event });
            renderUntrustedName(event);
          },
          build,
        ),
    },
    {
      name: 'client decode, text frames, types 1 and 4',
      check: (family, build, label) =>
        expectLinear(
          label,
          (text: string) => {
            client.decode(`${PREFIX}n;1;${text}`);
            unboundedClient.decode(`${PREFIX}o;4;${text}`);
          },
          build,
          !PARSER_STEP_FAMILIES.has(family),
        ),
    },
    {
      name: 'client decode, binary frames, type 4',
      check: (family, build, label) =>
        expectLinear(
          label,
          (bytes: Uint8Array) => client.decode(bytes),
          (size) => encoder.encode(`${PREFIX}o;4;${build(size)}`),
          !PARSER_STEP_FAMILIES.has(family),
        ),
    },
    {
      name: 'client request envelope (base64 bytes) and recovery unwrap',
      check: (family, build, label) =>
        expectLinear(
          label,
          (text: string) => {
            parseRequestEnvelope({ id: 1, event: text, bytes: text });
            unwrapMessage(text);
          },
          build,
        ),
    },
  ];

  describe.each(TARGETS.map((target) => [target.name, target] as const))('%s', (_name, target) => {
    it('on every named worst-case family', () => {
      for (const [family, build] of Object.entries(FAMILIES)) {
        target.check(family, build, `${target.name}, ${family}`);
      }
    });

    it('on runs of generated units (fast-check)', () => {
      const unit = fc.string({
        unit: fc.constantFrom(...'0123456789.eE+-x;[]{}",:\\u a'.split('')),
        minLength: 1,
        maxLength: 4,
      });
      fc.assert(
        fc.property(unit, fc.string({ maxLength: 3 }), (repeated, tail) =>
          target.check(
            'generated',
            run(repeated, tail),
            `${target.name}, run of ${JSON.stringify(repeated)} then ${JSON.stringify(tail)}`,
          ),
        ),
        { numRuns: 3 },
      );
    });
  });
});
