import { createHash, randomBytes, randomInt } from 'node:crypto';

/**
 * The two codes of a device login (RFC 8628 §6.1). The device code is the CLI's secret (256
 * random bits, stored as SHA-256). The user code is what a person types: eight characters of a
 * base-20 alphabet without vowels (no words, no 0/O or 1/I confusion), shown as XXXX-XXXX; about
 * 34.5 bits, enough because it lives minutes and wrong guesses are throttled per address.
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;

export function generateDeviceCode(): string {
  return randomBytes(32).toString('base64url');
}

export function hashDeviceCode(deviceCode: string): Buffer {
  return createHash('sha256').update(deviceCode, 'utf8').digest();
}

/** Eight characters of the alphabet, uniformly (randomInt rejects biased draws). */
export function generateUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

/** As shown and sent in verification_uri_complete: `WDJB-MJHT`. */
export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/**
 * What a person typed, as stored: upper case, dashes and spaces dropped (RFC 8628 §6.1 asks the
 * server to be lenient with them). undefined when it cannot be a user code at all, so such input
 * costs no query (it still counts as a wrong guess).
 */
export function normalizeUserCode(typed: string): string | undefined {
  const code = typed.toUpperCase().replace(/[\s-]+/g, '');
  if (code.length !== USER_CODE_LENGTH) return undefined;
  for (const c of code) if (!USER_CODE_ALPHABET.includes(c)) return undefined;
  return code;
}
