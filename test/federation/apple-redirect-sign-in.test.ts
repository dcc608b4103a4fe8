import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { appleClientAuth } from '../../src/auth/federation/apple-client-secret';
import { jose } from '../../src/auth/federation/jose-library';
import { parseWebSignInSettings } from '../../src/config/web-sign-in-settings';
import { launchChromium } from '../browser/support/chromium';
import { APPLE_CLIENT_ID } from './apple-stand-in';
import { appleKeyPair, KEY_ID, TEAM_ID, useAppleRedirectTestbed } from './apple-redirect-support';
import { providerLoginToFrontend } from './redirect-support';

/**
 * Sign in with Apple by web redirect (issue 25 §2 and §5) in real Chromium against a stand-in that
 * keeps Apple's rules (apple-stand-in.ts): the answer comes back as a cross-site form_post, the
 * client secret is an ES256 JWT of the team's key, and the name comes only on the first sign-in.
 */
const bed = useAppleRedirectTestbed();
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

type Dataset = Record<string, string | undefined>;

/** Through the stand-in's login and consent as `login`; the frontend page's result and the bodies posted to our callback. */
async function signIn(providerName: string, login: string): Promise<{ result: Dataset; landed: URL; posted: string[]; stateCookieLeft: boolean }> {
  const context = await browser.newContext();
  const page: Page = await context.newPage();
  const posted: string[] = [];
  page.on('request', (r) => void (r.method() === 'POST' && r.url().includes('/api/v1/auth/redirect/callback') && posted.push(r.postData() ?? '')));
  await page.goto(`${bed.origin}/api/v1/auth/redirect/${providerName}?return_to=${encodeURIComponent(bed.frontend)}`);
  const result: Dataset = await providerLoginToFrontend(page, bed.provider.issuer, bed.frontend, login);
  const landed = new URL(page.url());
  const stateCookieLeft = (await context.cookies(bed.origin)).some((c) => c.name === '__Host-redirect_state');
  await context.close();
  return { result, landed, posted, stateCookieLeft };
}

const userOf = async (email: string) =>
  (await bed.app.dataSource.query(`SELECT id, display_name FROM auth.users WHERE email = $1`, [email])) as { id: string; display_name: string | null }[];

it("starts Apple's sign-in with form_post, Apple's scopes and a state cookie that reaches a cross-site POST; others stay query and Lax", async () => {
  const apple = await request(bed.origin.replace('localhost', '127.0.0.1')).get(`/api/v1/auth/redirect/apple?return_to=${encodeURIComponent(bed.frontend)}`).expect(302);
  const location = new URL(apple.headers.location as string);
  expect(location.searchParams.get('response_mode')).toBe('form_post');
  expect(location.searchParams.get('scope')).toBe('openid name email');
  const cookie = (apple.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('__Host-redirect_state='))!;
  expect(cookie).toMatch(/; SameSite=None/);
  expect(cookie).toMatch(/; Secure/);
  const acme = await request(bed.origin.replace('localhost', '127.0.0.1')).get(`/api/v1/auth/redirect/acme?return_to=${encodeURIComponent(bed.frontend)}`).expect(302);
  expect(new URL(acme.headers.location as string).searchParams.get('response_mode')).toBeNull();
  expect(new URL(acme.headers.location as string).searchParams.get('scope')).toBe('openid email profile');
  expect((acme.headers['set-cookie'] as unknown as string[])[0]).toMatch(/; SameSite=Lax/);
});

it('signs in with Apple through a cross-site form_post, keeps the name Apple posts on the first sign-in only, and the same account again later', async () => {
  const first = await signIn('apple', 'mia');
  expect(first.result.status).toBe('200');
  expect(JSON.parse(first.result.me!)).toEqual(expect.objectContaining({ email: 'mia@players.example' }));
  expect([...first.landed.searchParams.keys()]).toEqual(['code']);
  // The callback's answer to the cross-site POST cleared the state cookie all the same.
  expect(first.stateCookieLeft).toBe(false);
  // Apple's answer was posted, with the name beside the code.
  expect(first.posted).toHaveLength(1);
  expect(new URLSearchParams(first.posted[0]).get('user')).toContain('"firstName":"Mia"');
  const [user] = await userOf('mia@players.example');
  expect(user?.display_name).toBe('Mia Appleseed');
  const identities = await bed.app.dataSource.query(`SELECT provider, subject FROM auth.identities WHERE user_id = $1`, [user!.id]);
  expect(identities).toEqual([{ provider: 'apple', subject: 'mia' }]);

  const again = await signIn('apple', 'mia');
  expect(again.result.status).toBe('200');
  expect(new URLSearchParams(again.posted[0]).get('user')).toBeNull();
  expect(await userOf('mia@players.example')).toEqual([{ id: user!.id, display_name: 'Mia Appleseed' }]);
});

it.each([
  ['apple-wrong-key', 'zoe', 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'],
  ['apple-wrong-team', 'max', 'ERR_JWT_CLAIM_VALIDATION_FAILED iss'],
])('a client secret Apple refuses (%s) lands on the frontend with access_denied and signs nobody in', async (providerName, login, reason) => {
  const before = bed.provider.appleRefusals.length;
  const { result, landed, posted } = await signIn(providerName, login);
  expect(posted).toHaveLength(1);
  expect(landed.searchParams.get('error')).toBe('access_denied');
  expect(landed.searchParams.get('code')).toBeNull();
  expect(result.error).toBe('access_denied');
  // Refused for the reason under test, not for a missing secret.
  expect(bed.provider.appleRefusals.slice(before)).toEqual([reason]);
  expect(await userOf(`${login}@players.example`)).toEqual([]);
  expect(await bed.app.dataSource.query(`SELECT count(*)::int AS n FROM auth.identities WHERE subject = $1`, [login])).toEqual([{ n: 0 }]);
});

it('signs a short-lived ES256 client secret as Apple asks, reused until a minute before it expires', async () => {
  const { privatePem, publicKey } = appleKeyPair();
  let clock = 1_900_000_000;
  const auth = appleClientAuth({ teamId: TEAM_ID, keyId: KEY_ID, privateKeyPem: privatePem }, APPLE_CLIENT_ID, 'https://appleid.apple.com', () => clock);
  const secretAt = async (at: number) => {
    clock = at;
    const body = new URLSearchParams();
    await auth({ issuer: 'https://appleid.apple.com' }, { client_id: APPLE_CLIENT_ID }, body, new Headers());
    expect(body.get('client_id')).toBe(APPLE_CLIENT_ID);
    return body.get('client_secret')!;
  };
  const first = await secretAt(1_900_000_000);
  const { payload, protectedHeader } = await jose.jwtVerify(first, publicKey, { currentDate: new Date(1_900_000_000_000) });
  expect(protectedHeader).toEqual({ alg: 'ES256', kid: KEY_ID });
  expect(payload).toEqual({ iss: TEAM_ID, sub: APPLE_CLIENT_ID, aud: 'https://appleid.apple.com', iat: 1_900_000_000, exp: 1_900_000_300 });
  expect(await secretAt(1_900_000_200)).toBe(first);
  const renewed = await secretAt(1_900_000_250);
  expect(renewed).not.toBe(first);
  expect(jose.decodeJwt(renewed)).toEqual(expect.objectContaining({ iat: 1_900_000_250, exp: 1_900_000_550 }));
});

describe("Apple's settings in WEB_SIGN_IN_PROVIDERS", () => {
  const base = { NODE_ENV: 'production' as const, WEB_SIGN_IN_STATE_TTL_SECONDS: 600, WEB_SIGN_IN_CALLBACK_URL: 'https://auth.example/cb', WEB_SIGN_IN_RETURN_URLS: ['https://play.example/'] };
  const parse = (provider: Record<string, unknown>) => {
    try {
      return parseWebSignInSettings({ ...base, WEB_SIGN_IN_PROVIDERS: JSON.stringify([{ name: 'apple', issuer: 'https://appleid.apple.com', client_id: 'com.cathouse.web', ...provider }]) }).providers[0]!;
    } catch (err) {
      return (err as Error).message;
    }
  };
  const keys = (file: string) => ({ apple_team_id: TEAM_ID, apple_key_id: KEY_ID, apple_private_key_file: file });

  it("reads the team's P-256 key at start-up and defaults to Apple's scopes by form_post", async () => {
    const file = path.join(bed.keyDir, 'good.p8');
    const { privatePem } = appleKeyPair();
    await writeFile(file, privatePem);
    expect(parse(keys(file))).toEqual(expect.objectContaining({ scope: 'openid name email', responseMode: 'form_post', clientSecret: undefined, appleClientSecret: { teamId: TEAM_ID, keyId: KEY_ID, privateKeyPem: privatePem } }));
  });

  it('refuses a missing key file, a key that is not P-256 and incomplete Apple settings, in one line naming the fix', async () => {
    const rsa = path.join(bed.keyDir, 'rsa.p8');
    const p384 = path.join(bed.keyDir, 'p384.p8');
    const notPem = path.join(bed.keyDir, 'not-a-key.p8');
    await writeFile(rsa, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    await writeFile(p384, generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    await writeFile(notPem, 'not a key');
    const good = path.join(bed.keyDir, 'good.p8');
    await writeFile(good, appleKeyPair().privatePem);
    const cases: [Record<string, unknown>, RegExp][] = [
      [keys(path.join(bed.keyDir, 'missing.p8')), /^WEB_SIGN_IN_PROVIDERS: provider "apple": apple_private_key_file \S+missing\.p8 cannot be read \(ENOENT\); point it at the AuthKey_<key id>\.p8 file from Apple$/],
      [keys(rsa), /^WEB_SIGN_IN_PROVIDERS: provider "apple": apple_private_key_file \S+ is a rsa key; Apple's client secret is ES256 and needs a P-256 key/],
      [keys(p384), /^WEB_SIGN_IN_PROVIDERS: provider "apple": apple_private_key_file \S+ is a ec secp384r1 key; .* needs a P-256 key/],
      [keys(notPem), /^WEB_SIGN_IN_PROVIDERS: provider "apple": apple_private_key_file \S+ is not a PEM private key/],
      [{}, /^WEB_SIGN_IN_PROVIDERS: provider "apple" is Sign in with Apple: set apple_team_id, apple_key_id and apple_private_key_file/],
      [{ client_secret: 'static' }, /^WEB_SIGN_IN_PROVIDERS: provider "apple" is Sign in with Apple: set apple_team_id/],
      [{ ...keys(good), apple_key_id: undefined }, /^WEB_SIGN_IN_PROVIDERS: provider "apple": apple_key_id must be a non-empty string/],
      [{ ...keys(good), client_secret: 'static' }, /^WEB_SIGN_IN_PROVIDERS: provider "apple": remove client_secret/],
      [{ ...keys(good), response_mode: 'query' }, /^WEB_SIGN_IN_PROVIDERS: provider "apple": Apple answers a name or email scope only by form_post: set response_mode "form_post"/],
      [{ ...keys(good), response_mode: 'fragment' }, /^WEB_SIGN_IN_PROVIDERS: provider "apple": response_mode must be "query" or "form_post"$/],
      [{ ...keys(good), scope: 'email name' }, /^WEB_SIGN_IN_PROVIDERS: provider "apple": scope must be space-separated scopes including openid/],
    ];
    for (const [provider, expected] of cases) {
      const message = parse(provider);
      expect(message).toMatch(expected);
      expect(message).not.toContain('\n');
    }
  });

  it('keeps other providers as they were: "openid email profile" by query, and takes their own scope and response_mode', () => {
    const other = (entry: Record<string, unknown>) => parse({ issuer: 'https://id.acme.example', client_secret: 's', ...entry });
    expect(other({})).toEqual(expect.objectContaining({ scope: 'openid email profile', responseMode: 'query', clientSecret: 's', appleClientSecret: undefined }));
    expect(other({ scope: 'openid email', response_mode: 'form_post' })).toEqual(expect.objectContaining({ scope: 'openid email', responseMode: 'form_post' }));
  });
});
