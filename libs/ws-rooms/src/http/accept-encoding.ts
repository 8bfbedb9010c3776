/** A content coding of a response body: `identity` is the body as it is. */
export type ContentCoding = 'br' | 'gzip' | 'identity';

/**
 * The longest `Accept-Encoding` value that is read. Browsers send about 30 characters
 * (`gzip, deflate, br, zstd`); a longer value is not read at all and gets `identity`, so that a
 * hostile header costs nothing.
 */
export const MAX_ACCEPT_ENCODING_LENGTH = 512;

/** Weights in thousandths (`q=0.5` is 500), as RFC 9110 allows at most three decimals. */
const FULL_WEIGHT = 1000;
/**
 * The weight of `identity` when the header neither names it nor has `*`: acceptable (RFC 9110
 * section 12.5.3) but below any coding the client named, which the server prefers.
 */
const IMPLICIT_IDENTITY_WEIGHT = 0.5;
/** A malformed element: ignored. */
const INVALID = -1;
/** Not named in the header. */
const UNNAMED = -2;

/**
 * Chooses the coding of a response from the request's `Accept-Encoding` header (RFC 9110 section
 * 12.5.3): the coding with the highest weight (`q`), and on a tie the smallest body (`br`, then
 * `gzip`, then `identity`). `x-gzip` counts as `gzip`, `*` stands for every coding not named, a
 * malformed element is ignored, and when nothing acceptable is left the answer is `identity`
 * (which a client can always read). No header, an empty one, or one longer than
 * {@link MAX_ACCEPT_ENCODING_LENGTH} gets `identity`.
 *
 * Reading the value is linear in its length, which is bounded, and uses no regular expression.
 */
export function chooseContentCoding(header: string | readonly string[] | undefined): ContentCoding {
  if (header === undefined) return 'identity';
  // Node joins repeated Accept-Encoding headers with ", "; an array here is the same list.
  const value = typeof header === 'string' ? header : header.join(', ');
  if (value.length > MAX_ACCEPT_ENCODING_LENGTH) return 'identity';

  let br = UNNAMED;
  let gzip = UNNAMED;
  let identity = UNNAMED;
  let any = UNNAMED;
  // Splitting the list, then each element, touches every character once or twice.
  for (const element of value.split(',')) {
    const [coding, ...parameters] = element.split(';');
    const weight = parseWeight(parameters);
    if (weight === INVALID) continue;
    // The first mention of a coding counts; later ones are ignored.
    switch (coding.trim().toLowerCase()) {
      case 'br':
        if (br === UNNAMED) br = weight;
        break;
      case 'gzip':
      case 'x-gzip':
        if (gzip === UNNAMED) gzip = weight;
        break;
      case 'identity':
        if (identity === UNNAMED) identity = weight;
        break;
      case '*':
        if (any === UNNAMED) any = weight;
        break;
    }
  }

  const brWeight = br !== UNNAMED ? br : any !== UNNAMED ? any : 0;
  const gzipWeight = gzip !== UNNAMED ? gzip : any !== UNNAMED ? any : 0;
  const identityWeight =
    identity !== UNNAMED ? identity : any !== UNNAMED ? any : IMPLICIT_IDENTITY_WEIGHT;
  if (brWeight > 0 && brWeight >= gzipWeight && brWeight >= identityWeight) return 'br';
  if (gzipWeight > 0 && gzipWeight >= identityWeight) return 'gzip';
  return 'identity';
}

/**
 * The weight the parameters of one element give, in thousandths: full without `q`, {@link INVALID}
 * when `q` is malformed (`qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`). Other
 * parameters are ignored.
 */
function parseWeight(parameters: readonly string[]): number {
  let weight = FULL_WEIGHT;
  for (const parameter of parameters) {
    const equals = parameter.indexOf('=');
    if (equals === -1 || parameter.slice(0, equals).trim().toLowerCase() !== 'q') continue;
    weight = parseQValue(parameter.slice(equals + 1).trim());
    if (weight === INVALID) return INVALID;
  }
  return weight;
}

/** A `qvalue` in thousandths, or {@link INVALID}. */
function parseQValue(text: string): number {
  const first = text.charCodeAt(0);
  if (text.length === 0 || text.length > 5 || (first !== 0x30 && first !== 0x31)) return INVALID;
  if (text.length > 1 && text[1] !== '.') return INVALID;
  let thousandths = 0;
  for (let i = 2; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return INVALID;
    thousandths += digit * 10 ** (4 - i);
  }
  if (first === 0x31) return thousandths === 0 ? FULL_WEIGHT : INVALID;
  return thousandths;
}
