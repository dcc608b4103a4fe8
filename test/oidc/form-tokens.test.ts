import { formKeys } from '../../src/auth/oidc/keys';
import { formToken, formTokenValid } from '../../src/auth/oidc/form-tokens';
import { generateSigningKeyPem, signingKeysFromPem } from '../../src/auth/tokens/signing-keys';

/** The CSRF tokens of the provider's pages across a TOKEN_SECRET rotation, and bound to their interaction and form. */
const signingKeys = signingKeysFromPem(generateSigningKeyPem());
const before = formKeys({ signingKeys, tokenSecret: Buffer.from('a'.repeat(32)), previousTokenSecrets: [] });
const after = formKeys({ signingKeys, tokenSecret: Buffer.from('b'.repeat(32)), previousTokenSecrets: [Buffer.from('a'.repeat(32))] });
const unrelated = formKeys({ signingKeys, tokenSecret: Buffer.from('c'.repeat(32)), previousTokenSecrets: [] });

it('a page rendered before a TOKEN_SECRET rotation still posts after it; another secret does not accept it', () => {
  const token = formToken(before, 'uid-1', 'consent');
  expect(formTokenValid(after, 'uid-1', 'consent', token)).toBe(true);
  expect(formTokenValid(unrelated, 'uid-1', 'consent', token)).toBe(false);
});

it('a token is good for its own interaction and form only', () => {
  const token = formToken(after, 'uid-1', 'consent');
  expect(formTokenValid(after, 'uid-1', 'consent', token)).toBe(true);
  expect(formTokenValid(after, 'uid-2', 'consent', token)).toBe(false);
  expect(formTokenValid(after, 'uid-1', 'abort', token)).toBe(false);
  expect(formTokenValid(after, 'uid-1', 'consent', undefined)).toBe(false);
  expect(formTokenValid(after, 'uid-1', 'consent', `${token}x`)).toBe(false);
});
