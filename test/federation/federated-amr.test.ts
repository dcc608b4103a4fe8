import request from 'supertest';
import { decodeClaims } from '../auth/installations';
import { appleClaims, rawNonce } from './stand-in-provider';
import { APPLE_CLIENT, useFederationTestbed } from './support';

/**
 * A provider's sign-in says so in the session's tokens (RFC 8176 amr, `fed`), from the first
 * access token on and after refresh, as a password sign-in's say `pwd`: before, the first token
 * had no amr and every refreshed one claimed a password the player never typed.
 */
const bed = useFederationTestbed();

it('an Apple ID token sign-in gives tokens with amr fed, and the refreshed token says the same', async () => {
  const nonce = rawNonce();
  const signedIn = await request(bed.app.app).post('/api/v1/auth/id-token').send({ provider: 'apple', id_token: await bed.apple.sign(appleClaims(bed.apple, APPLE_CLIENT, nonce)), nonce });
  expect(signedIn.status).toBe(201);
  expect(decodeClaims(signedIn.body.access_token)).toMatchObject({ amr: ['fed'], acr: 'urn:cathouse:acr:password', auth_time: expect.any(Number) });
  const refreshed = await request(bed.app.app).post('/api/v1/auth/refresh').send({ refresh_token: signedIn.body.refresh_token });
  expect(refreshed.status).toBe(200);
  expect(decodeClaims(refreshed.body.access_token).amr).toEqual(['fed']);
});
