import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * CSRF tokens of the interaction pages: one per form, an HMAC over the interaction and the form's
 * name with a key derived from TOKEN_SECRET (keys.ts). Stateless, so every instance accepts them;
 * the interaction is itself bound to the browser by the library's cookie, so a token is worth
 * nothing to another browser, and a cross-site page cannot read it.
 */
/** The token of `form` for interaction `uid`, made with the current key (the first). */
export function formToken(keys: readonly Buffer[], uid: string, form: string): string {
  return createHmac('sha256', keys[0]!).update(`${uid}\n${form}`).digest('base64url');
}

/** Whether `presented` is the token of `form` for `uid` under any of the keys (current or previous). */
export function formTokenValid(keys: readonly Buffer[], uid: string, form: string, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const given = Buffer.from(presented);
  return keys.some((key) => {
    const expected = Buffer.from(formToken([key], uid, form));
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
