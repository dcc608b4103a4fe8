import { verify as cryptoVerify, type KeyObject } from 'node:crypto';

/**
 * A compact JWS (RFC 7515 §7.1) split at its two dots, its header decoded: enough to choose the
 * key. Nothing in it is trusted until verifyEs256() has checked the signature.
 */
export interface CompactJws {
  readonly token: string;
  readonly header: Readonly<{ alg?: unknown; typ?: unknown; kid?: unknown }>;
  /** `header.payload` as sent: what the signature covers. */
  readonly signingInput: string;
  readonly payloadPart: string;
  readonly signaturePart: string;
}

/**
 * The last header decoded. A verifier sees the same header (alg, typ, kid) in every token signed
 * with one key, so one entry saves most of the decoding; it is frozen because every later token
 * with that header shares it.
 */
let lastHeader: { part: string; header: CompactJws['header'] } | undefined;

/**
 * The token split in three with a JSON object as header, or undefined when it is not that. Only
 * the header is decoded here: the key is chosen from it, and the payload is decoded once, after
 * the signature has been checked.
 */
export function splitCompactJws(token: string): CompactJws | undefined {
  const first = token.indexOf('.');
  const second = first > 0 ? token.indexOf('.', first + 1) : -1;
  if (second < 0 || token.includes('.', second + 1)) return undefined;
  const headerPart = token.slice(0, first);
  let header = lastHeader?.part === headerPart ? lastHeader.header : undefined;
  if (!header) {
    header = jsonObject(headerPart);
    if (!header) return undefined;
    lastHeader = { part: headerPart, header: Object.freeze(header) };
  }
  return { token, header, signingInput: token.slice(0, second), payloadPart: token.slice(first + 1, second), signaturePart: token.slice(second + 1) };
}

/**
 * Three parts of base64url without padding (RFC 7515 §2, §7.1), the signature 86 characters: an
 * ES256 signature is R || S, 32 bytes each (RFC 7518 §3.4), 64 bytes. Its last character carries
 * two bits and four zero bits, so only A, Q, g and w end a canonical encoding: any other would be
 * a second spelling of the same signature, which a deny-list or cache keyed by the token string
 * would take for another token.
 */
const ES256_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{85}[AQgw]$/;
/** No encoder produces 4n + 1 characters; Buffer would drop the odd one silently. */
const truncated = (part: string) => part.length % 4 === 1;

/**
 * The payload of `jws` when its signature is a valid ES256 signature by `key` and the payload is
 * a JSON object; otherwise the reason it is not. ES256 alone is the caller's check on the header
 * (RFC 8725 §3.1: the algorithm is ours to choose, never the token's); here the signature must be
 * exactly the 64-byte JOSE form in canonical base64url, so neither a DER signature (70-72 bytes)
 * nor one of another length reaches crypto.verify, whose ieee-p1363 mode would refuse them too.
 */
export function verifyEs256(jws: CompactJws, key: KeyObject): { payload: Record<string, unknown> } | { reason: string } {
  if (!ES256_COMPACT.test(jws.token) || truncated(jws.signingInput.slice(0, jws.signingInput.length - jws.payloadPart.length - 1)) || truncated(jws.payloadPart)) {
    return { reason: 'not three base64url parts with a 64-byte ES256 signature' };
  }
  const signature = Buffer.from(jws.signaturePart, 'base64url');
  if (!cryptoVerify('sha256', Buffer.from(jws.signingInput, 'latin1'), { key, dsaEncoding: 'ieee-p1363' }, signature)) return { reason: 'invalid signature' };
  const payload = jsonObject(jws.payloadPart);
  // RFC 7519 §7.2 step 10: the claims set is a JSON object; a string, array or null is no token of ours.
  return payload ? { payload } : { reason: 'the payload is not a JSON object' };
}

function jsonObject(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
