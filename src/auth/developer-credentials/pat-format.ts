import { createHash, randomBytes } from 'node:crypto';

/**
 * The shape of a personal access token, like GitHub's (ghp_): `chp_` + 30 random base62
 * characters (about 178 bits) + 6 base62 characters of a CRC-32 over the prefix and the random
 * part. The prefix lets secret scanners find leaked tokens; the checksum lets this service (and a
 * scanner) refuse a mistyped or made-up token without a database lookup.
 */
export const PAT_PREFIX = 'chp_';
const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
export const PAT_LENGTH = PAT_PREFIX.length + RANDOM_LENGTH + CHECKSUM_LENGTH;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SHAPE = new RegExp(`^${PAT_PREFIX}[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`);

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (IEEE 802.3, the one zlib and GitHub's tokens use). */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** `value` in base62, left-padded with zeros to `length` characters. */
function base62(value: number, length: number): string {
  let out = '';
  let rest = value;
  while (rest > 0) {
    out = ALPHABET[rest % 62]! + out;
    rest = Math.floor(rest / 62);
  }
  return out.padStart(length, '0');
}

function checksum(body: string): string {
  return base62(crc32(body), CHECKSUM_LENGTH);
}

/** A new token. Random characters by rejection sampling, so each of the 62 is equally likely. */
export function generatePat(): string {
  let random = '';
  while (random.length < RANDOM_LENGTH) {
    for (const byte of randomBytes(RANDOM_LENGTH * 2)) {
      if (byte < 248 && random.length < RANDOM_LENGTH) random += ALPHABET[byte % 62];
    }
  }
  const body = PAT_PREFIX + random;
  return body + checksum(body);
}

/**
 * Whether `token` has the shape of a PAT and its checksum matches: checked before any database
 * lookup, so a made-up or truncated token costs no query.
 */
export function isWellFormedPat(token: string): boolean {
  if (!SHAPE.test(token)) return false;
  const body = token.slice(0, PAT_PREFIX.length + RANDOM_LENGTH);
  return token.slice(body.length) === checksum(body);
}

/** What the database keeps: SHA-256 of the whole token (it has 178 random bits: no salt or slow hash is needed). */
export function hashPat(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** The first characters shown in listings: `chp_` and four of the random part. */
export function patDisplayPrefix(token: string): string {
  return token.slice(0, PAT_PREFIX.length + 4);
}
