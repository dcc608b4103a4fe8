import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { createVerifier, type JwksClient } from '@cathouse/auth-client';

/**
 * The checks the verifier makes itself on the compact JWS and its registered claims (it verifies
 * the signature with crypto.verify, no longer through jsonwebtoken). Tokens are signed here with a
 * key the verifier is handed directly, so each case changes exactly one thing of a token that is
 * otherwise accepted; the end-to-end cases against the running service are in auth-client.test.ts.
 */
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwks: JwksClient = { getKey: async () => publicKey, fetches: 0 };
const ISSUER = 'cathouse-auth';
const AUDIENCE = 'cathouse';
const now = () => Math.floor(Date.now() / 1000);

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const HEADER = { alg: 'ES256', typ: 'at+jwt', kid: 'k1' };
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: 'user-1',
  sid: 'session-1',
  role: 'player',
  iat: now(),
  exp: now() + 900,
  jti: 'token-1',
  ...extra,
});
const signature = (input: string, key: KeyObject = privateKey, dsaEncoding: 'ieee-p1363' | 'der' = 'ieee-p1363') =>
  sign('sha256', Buffer.from(input), { key, dsaEncoding });
/** A compact JWS over exactly these encoded parts, so that odd encodings are really signed. */
const signedParts = (headerPart: string, payloadPart: string) => `${headerPart}.${payloadPart}.${signature(`${headerPart}.${payloadPart}`).toString('base64url')}`;
const token = (payload: unknown, header: object = HEADER) => signedParts(b64(header), b64(payload));

const verifier = (clockToleranceSeconds?: number) => createVerifier({ jwksUri: 'http://unused.invalid/', issuer: ISSUER, audience: AUDIENCE, jwks, clockToleranceSeconds });
const outcome = (t: string, clockToleranceSeconds?: number) =>
  verifier(clockToleranceSeconds)
    .verify(t)
    .then(
      () => 'accepted',
      (err: { code?: string; message?: string }) => `${err.code}: ${err.message}`,
    );
const INVALID = 'invalid_token: The access token is invalid.';
const EXPIRED = 'invalid_token: The access token has expired.';

describe('@cathouse/auth-client token checks', () => {
  it('accepts a well-formed token signed by the key (the baseline every other case changes one thing of)', async () => {
    await expect(verifier().verify(token(claims()))).resolves.toMatchObject({ kind: 'user', sub: 'user-1', sid: 'session-1' });
  });

  it('refuses a token whose nbf is in the future, unless within the clock tolerance; nbf must be a number', async () => {
    expect(await outcome(token(claims({ nbf: now() + 60 })))).toBe(INVALID);
    expect(await outcome(token(claims({ nbf: now() + 5 })), 30)).toBe('accepted');
    expect(await outcome(token(claims({ nbf: now() - 5 })))).toBe('accepted');
    expect(await outcome(token(claims({ nbf: String(now() - 5) })))).toBe(INVALID);
  });

  it('says "expired" for a token past exp, applies the clock tolerance, and refuses an exp that is not a number', async () => {
    expect(await outcome(token(claims({ exp: now() - 5 })))).toBe(EXPIRED);
    expect(await outcome(token(claims({ exp: now() })))).toBe(EXPIRED);
    expect(await outcome(token(claims({ exp: now() - 5 })), 30)).toBe('accepted');
    expect(await outcome(token(claims({ exp: now() - 60 })), 30)).toBe(EXPIRED);
    expect(await outcome(token(claims({ exp: String(now() + 900) })))).toBe(INVALID);
    expect(await outcome(token(claims({ exp: undefined })))).toBe('invalid_token: The access token lacks required claims.');
    expect(await outcome(token(claims({ iat: String(now()) })))).toBe('invalid_token: The access token lacks required claims.');
  });

  it('requires the exact issuer and one audience, ours', async () => {
    expect(await outcome(token(claims({ iss: `${ISSUER}/` })))).toBe(INVALID);
    expect(await outcome(token(claims({ iss: undefined })))).toBe(INVALID);
    expect(await outcome(token(claims({ aud: 'elsewhere' })))).toBe(INVALID);
    expect(await outcome(token(claims({ aud: ['elsewhere'] })))).toBe(INVALID);
    expect(await outcome(token(claims({ aud: [AUDIENCE, 'elsewhere'] })))).toBe('invalid_token: The access token must have exactly one audience.');
  });

  it('refuses every signature that is not the 64-byte JOSE form: 63 or 65 bytes, DER, another key, empty', async () => {
    const input = `${b64(HEADER)}.${b64(claims())}`;
    const good = signature(input);
    const forms: Record<string, Buffer> = {
      '63 bytes': good.subarray(0, 63),
      '65 bytes': Buffer.concat([good, Buffer.from([0])]),
      'DER, a valid signature of the same input': signature(input, privateKey, 'der'),
      'another key': signature(input, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
      empty: Buffer.alloc(0),
    };
    expect(await outcome(`${input}.${good.toString('base64url')}`)).toBe('accepted');
    for (const [name, sig] of Object.entries(forms)) {
      expect({ name, outcome: await outcome(`${input}.${sig.toString('base64url')}`) }).toEqual({ name, outcome: INVALID });
    }
  });

  it('refuses a second spelling of a valid signature (non-zero padding bits in its last character)', async () => {
    const t = token(claims());
    const last = t.at(-1)!;
    // Same 64 bytes once decoded: the last character's low four bits are not part of the signature.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const other = alphabet[alphabet.indexOf(last) + 1]!;
    const respelt = `${t.slice(0, -1)}${other}`;
    expect(Buffer.from(respelt.split('.')[2]!, 'base64url')).toEqual(Buffer.from(t.split('.')[2]!, 'base64url'));
    expect(await outcome(t)).toBe('accepted');
    expect(await outcome(respelt)).toBe(INVALID);
  });

  it('refuses a tampered payload or header, however small the change', async () => {
    const [h, p, s] = token(claims()).split('.') as [string, string, string];
    expect(await outcome(`${h}.${b64(claims({ role: 'admin' }))}.${s}`)).toBe(INVALID);
    expect(await outcome(`${b64({ ...HEADER, extra: 1 })}.${p}.${s}`)).toBe(INVALID);
    const flipped = Buffer.from(p, 'base64url');
    flipped[flipped.indexOf('player')] = 'P'.charCodeAt(0);
    expect(await outcome(`${h}.${flipped.toString('base64url')}.${s}`)).toBe(INVALID);
  });

  it('refuses a validly signed payload that is not a JSON object', async () => {
    for (const payload of ['a string', [claims()], null, 42, true]) {
      expect({ payload, outcome: await outcome(token(payload)) }).toEqual({ payload, outcome: INVALID });
    }
    expect(await outcome(signedParts(b64(HEADER), Buffer.from('not json').toString('base64url')))).toBe(INVALID);
  });

  it('takes only unpadded base64url (RFC 7515 §2), even when the signature covers the odd spelling', async () => {
    /** A payload whose encoding has `length % 4 === rest`, so padding and extra characters can be added exactly. */
    const payloadOfLength = (rest: number) => {
      for (let note = '???>>>'; ; note += 'x') if (b64(claims({ note })).length % 4 === rest) return b64(claims({ note }));
    };
    const aligned = payloadOfLength(0);
    expect(aligned).toMatch(/[-_]/); // so that the standard-alphabet spelling below differs
    expect(await outcome(signedParts(b64(HEADER), aligned))).toBe('accepted');
    expect(await outcome(signedParts(b64(HEADER), aligned.replaceAll('-', '+').replaceAll('_', '/')))).toBe(INVALID);
    expect(await outcome(signedParts(b64(HEADER), `${payloadOfLength(2)}==`))).toBe(INVALID);
    // 4n + 1 characters: Buffer decodes the extra one to nothing, so without the check this would pass.
    expect(Buffer.from(`${aligned}A`, 'base64url')).toEqual(Buffer.from(aligned, 'base64url'));
    expect(await outcome(signedParts(b64(HEADER), `${aligned}A`))).toBe(INVALID);
    expect(await outcome(signedParts(`${b64(HEADER)}=`, aligned))).toBe(INVALID);
  });

  it('refuses any algorithm but ES256 and any typ but at+jwt, even with a valid ES256 signature', async () => {
    for (const alg of ['none', 'HS256', 'ES384', 'RS256', 'es256']) {
      expect({ alg, outcome: await outcome(token(claims(), { ...HEADER, alg })) }).toEqual({ alg, outcome: 'invalid_token: The access token must be signed with ES256.' });
    }
    expect(await outcome(token(claims(), { ...HEADER, typ: 'JWT' }))).toBe('invalid_token: The token is not an access token (typ must be at+jwt).');
    expect(await outcome(token(claims(), { alg: 'ES256', typ: 'at+jwt' }))).toBe('invalid_token: The access token has no kid.');
  });

  it('decides registered claims as jsonwebtoken.verify did (the verifier it replaced), case by case', async () => {
    const t0 = now();
    const cases: Record<string, unknown>[] = [
      {},
      // At least 5 s from the edges, so that the second turning between the two calls changes nothing.
      { exp: t0 - 5 },
      { exp: t0 + 5 },
      { exp: t0 - 20 },
      { exp: 't0' },
      { exp: null },
      { nbf: t0 + 20 },
      { nbf: t0 + 5 },
      { nbf: t0 - 5 },
      { nbf: null },
      { nbf: '1' },
      { aud: 'elsewhere' },
      { aud: ['elsewhere', AUDIENCE] },
      { aud: [] },
      { aud: undefined },
      { iss: 'other' },
      { iss: undefined },
      { iss: [ISSUER] },
    ];
    for (const tolerance of [0, 10]) {
      for (const extra of cases) {
        const t = token(claims(extra));
        let expected: string;
        try {
          jwt.verify(t, publicKey, { algorithms: ['ES256'], issuer: ISSUER, audience: AUDIENCE, clockTolerance: tolerance });
          expected = Array.isArray(extra.aud) ? 'invalid_token: The access token must have exactly one audience.' : 'accepted';
        } catch (err) {
          expected = err instanceof jwt.TokenExpiredError ? EXPIRED : INVALID;
        }
        expect({ extra, tolerance, outcome: await outcome(t, tolerance) }).toEqual({ extra, tolerance, outcome: expected });
      }
    }
  });
});
