import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * CSRF tokens of the interaction pages: one per form, an HMAC over the interaction and the form's
 * name with a key derived from TOKEN_SECRET (keys.ts). Stateless, so every instance accepts them;
 * the interaction is itself bound to the browser by the library's cookie, so a token is worth
 * nothing to another browser, and a cross-site page cannot read it.
 */
export function formToken(key: Buffer, uid: string, form: string): string {
  return createHmac('sha256', key).update(`${uid}\n${form}`).digest('base64url');
}

export function formTokenValid(key: Buffer, uid: string, form: string, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const expected = Buffer.from(formToken(key, uid, form));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
