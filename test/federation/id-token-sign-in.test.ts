import request from 'supertest';
import { bearer } from '../auth/helpers';
import { jose } from '../../src/auth/federation/jose-library';
import { IdTokenVerifier } from '../../src/auth/federation/id-token-verifier';
import { appleClaims, googleClaims, now, rawNonce, StandInProvider } from './stand-in-provider';
import { APPLE_CLIENT, GOOGLE_ANDROID_CLIENT, GOOGLE_WEB_CLIENT, useFederationTestbed } from './support';

const bed = useFederationTestbed({ PROVIDER_JWKS_COOLDOWN_SECONDS: '0' });
const post = (body: Record<string, unknown>) => request(bed.app.app).post('/api/v1/auth/id-token').send(body);

/** An Apple-shaped sign-in whose claims differ from a valid one only by `overrides`. */
async function apple(overrides: Record<string, unknown> = {}, nonce = rawNonce()) {
  return { provider: 'apple', id_token: await bed.apple.sign(appleClaims(bed.apple, APPLE_CLIENT, nonce, overrides)), nonce };
}

describe('native sign-in with an Apple or Google ID token', () => {
  it('signs up with an Apple token: the private relay address, the name the app sent, and is the same account on the next sign-in without a name', async () => {
    const nonce = rawNonce();
    const claims = appleClaims(bed.apple, APPLE_CLIENT, nonce);
    const first = await post({ provider: 'apple', id_token: await bed.apple.sign(claims), nonce, display_name: 'Mia Apple' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ token_type: 'Bearer', created: true, user: { email: claims.email, display_name: 'Mia Apple', email_verified: true, role: 'player' } });
    expect(typeof first.body.refresh_token).toBe('string');

    // Apple sends the name only once: the next sign-in (a fresh token of the same sub) has none and keeps it.
    const again = appleClaims(bed.apple, APPLE_CLIENT, nonce, { sub: claims.sub, email: claims.email });
    const second = await post({ provider: 'apple', id_token: await bed.apple.sign(again), nonce });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ created: false, user: { id: first.body.user.id, display_name: 'Mia Apple' } });

    const identities = await request(bed.app.app).get('/api/v1/auth/me/identities').set(bearer(second.body.access_token));
    expect(identities.status).toBe(200);
    expect(identities.body.identities).toEqual([expect.objectContaining({ provider: 'apple', email: claims.email, is_private_email: true })]);
    // The access token is ours, for our API.
    const me = await request(bed.app.app).get('/api/v1/auth/me').set(bearer(second.body.access_token));
    expect(me.body).toMatchObject({ id: first.body.user.id, email: claims.email });
  });

  it("signs up with a Google token whose aud is the web client and azp the Android client, the name from the token", async () => {
    const nonce = rawNonce();
    const claims = googleClaims(bed.google, GOOGLE_WEB_CLIENT, GOOGLE_ANDROID_CLIENT, nonce);
    const res = await post({ provider: 'google', id_token: await bed.google.sign(claims), nonce });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ email: claims.email, display_name: 'Mia Google', email_verified: true });
  });

  // Each token below is a valid Apple token but for one rule it breaks; each answers its own code.
  const refusals: [string, () => Promise<Record<string, unknown>>, number, string][] = [
    ['a signature by a key the JWKS does not hold (same kid)', async () => {
      const nonce = rawNonce();
      const stranger = await StandInProvider.newKey();
      return { provider: 'apple', nonce, id_token: await bed.apple.sign(appleClaims(bed.apple, APPLE_CLIENT, nonce), { key: stranger, kid: bed.apple.keys[0]!.kid }) };
    }, 401, 'id_token_invalid'],
    ['an HS256 token (an algorithm Apple never uses)', async () => {
      const nonce = rawNonce();
      const token = await new jose.SignJWT(appleClaims(bed.apple, APPLE_CLIENT, nonce)).setProtectedHeader({ alg: 'HS256', kid: bed.apple.keys[0]!.kid }).sign(new Uint8Array(32));
      return { provider: 'apple', nonce, id_token: token };
    }, 401, 'id_token_invalid'],
    ['not a JWT at all', async () => ({ provider: 'apple', nonce: rawNonce(), id_token: 'not-a-jwt' }), 401, 'id_token_invalid'],
    ['another issuer', () => apple({ iss: 'https://appleid.apple.example' }), 401, 'id_token_wrong_issuer'],
    ['another audience', () => apple({ aud: 'com.someone.else' }), 401, 'id_token_wrong_audience'],
    ['several audiences and an azp that is none of ours', () => apple({ aud: [APPLE_CLIENT, 'com.someone.else'], azp: 'com.someone.else' }), 401, 'id_token_wrong_audience'],
    ['an exp past the tolerance', () => apple({ iat: now() - 900, exp: now() - 120 }), 401, 'id_token_expired'],
    ['an iat older than ID_TOKEN_MAX_AGE_SECONDS (with a far exp)', () => apple({ iat: now() - 7200, exp: now() + 600 }), 401, 'id_token_expired'],
    ['an iat in the future past the tolerance', () => apple({ iat: now() + 600, exp: now() + 1200 }), 401, 'id_token_not_yet_valid'],
    ['a nonce of another sign-in', async () => ({ ...(await apple()), nonce: rawNonce() }), 401, 'id_token_nonce_mismatch'],
    ['no raw nonce sent', async () => ({ ...(await apple()), nonce: undefined }), 401, 'id_token_nonce_mismatch'],
    ['the raw nonce in the token instead of its hash', async () => {
      const nonce = rawNonce();
      return apple({ nonce }, nonce);
    }, 401, 'id_token_nonce_mismatch'],
    ['a token without a nonce (nonce_supported false)', () => apple({ nonce: undefined, nonce_supported: false }), 401, 'id_token_nonce_mismatch'],
    ['email_verified false', () => apple({ email_verified: 'false' }), 403, 'provider_email_unverified'],
    ['no email', () => apple({ email: undefined }), 403, 'provider_email_unverified'],
    ['a provider that is not configured', async () => ({ ...(await apple()), provider: 'facebook' }), 400, 'unknown_provider'],
  ];
  it.each(refusals)('refuses %s', async (_rule, body, status, code) => {
    const res = await post(await body());
    expect({ status: res.status, code: res.body.error }).toEqual({ status, code });
    expect(res.body.refresh_token).toBeUndefined();
  });

  it('counts refused tokens by provider and reason in /metrics', async () => {
    await post(await apple({ aud: 'com.someone.else' }));
    const metrics = await request(bed.app.app).get('/metrics');
    expect(metrics.text).toMatch(/auth_id_tokens_refused_total\{provider="apple",reason="id_token_wrong_audience"\} [2-9]/);
    expect(metrics.text).toMatch(/auth_sign_ins_total\{method="id_token",provider="google"\} 1/);
  });

  it('accepts a token within the clock tolerance (exp 30 s ago, tolerance 60 s)', async () => {
    const res = await post(await apple({ iat: now() - 300, exp: now() - 30 }));
    expect(res.status).toBe(201);
  });
});

describe("the provider's JWKS", () => {
  it('is fetched once and cached across sign-ins, fetched again when a token names an unknown kid (a rotation), and an unknown kid after that is refused', async () => {
    // A provider of its own, so the counts are this test's.
    await post(await apple());
    const before = bed.apple.jwksFetches;
    for (let i = 0; i < 3; i += 1) expect((await post(await apple())).status).toBe(201);
    expect(bed.apple.jwksFetches).toBe(before);

    await bed.apple.rotate();
    expect((await post(await apple())).status).toBe(201);
    expect(bed.apple.jwksFetches).toBe(before + 1);
    expect((await post(await apple())).status).toBe(201);
    expect(bed.apple.jwksFetches).toBe(before + 1);

    const nonce = rawNonce();
    const unpublished = await StandInProvider.newKey();
    const res = await post({ provider: 'apple', nonce, id_token: await bed.apple.sign(appleClaims(bed.apple, APPLE_CLIENT, nonce), { key: unpublished }) });
    expect(res.body.error).toBe('id_token_invalid');
    expect(bed.apple.jwksFetches).toBe(before + 2);
  });

  it('answers 503 provider_unavailable when the JWKS cannot be fetched', async () => {
    const nonce = rawNonce();
    const gone = await StandInProvider.start('google');
    await gone.close();
    // The Google stand-in stays up; this proves the mapping with a provider whose endpoint refuses connections.
    const verifier = new IdTokenVerifier({ ...bed.app.config.federation, providers: [{ name: 'google', issuer: gone.issuer, jwksUri: gone.jwksUri, clientIds: [GOOGLE_WEB_CLIENT] }] });
    const token = await gone.sign(googleClaims(gone, GOOGLE_WEB_CLIENT, GOOGLE_ANDROID_CLIENT, nonce));
    await expect(verifier.verify('google', token, nonce)).rejects.toMatchObject({ code: 'provider_unavailable', status: 503 });
  });
});
