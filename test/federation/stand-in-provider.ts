import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { jose } from '../../src/auth/federation/jose-library';
import { hashNonce } from '../../src/auth/federation/id-token-verifier';

type Key = { kid: string; privateKey: Awaited<ReturnType<typeof jose.generateKeyPair>>['privateKey']; publicJwk: Record<string, unknown> };

async function newKey(alg = 'RS256'): Promise<Key> {
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  return { kid, privateKey, publicJwk: { ...(await jose.exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/**
 * One provider on loopback in place of Apple or Google: its JWKS over real HTTP (counting fetches)
 * and real RS256 ID tokens signed with jose, with the claims that provider sends. A test breaks
 * one rule at a time by overriding a claim or the signing key.
 */
export class StandInProvider {
  keys: Key[] = [];
  jwksFetches = 0;
  private constructor(
    private readonly server: Server,
    readonly issuer: string,
    readonly jwksUri: string,
  ) {}

  static async start(name: 'apple' | 'google'): Promise<StandInProvider> {
    const state: { provider?: StandInProvider } = {};
    const server = createServer((req, res) => {
      const provider = state.provider!;
      if (req.url !== `/${name}/keys`) return void res.writeHead(404).end();
      provider.jwksFetches += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: provider.keys.map((k) => k.publicJwk) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const provider = (state.provider = new StandInProvider(server, `${base}/${name}`, `${base}/${name}/keys`));
    provider.keys.push(await newKey());
    return provider;
  }

  /** Publishes a new signing key (a rotation) and signs with it from now on. */
  async rotate(): Promise<void> {
    this.keys.unshift(await newKey());
  }

  /** Signs claims as this provider; `key` and `header` let a test sign with a key the JWKS does not hold. */
  async sign(claims: Record<string, unknown>, options: { key?: Key; kid?: string; alg?: string } = {}): Promise<string> {
    const key = options.key ?? this.keys[0]!;
    return new jose.SignJWT(claims).setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? key.kid }).sign(key.privateKey);
  }

  static newKey = newKey;

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export const now = () => Math.floor(Date.now() / 1000);

/** The claims of Sign in with Apple's ID token (strings for booleans, as Apple sends them), for this nonce. */
export function appleClaims(provider: StandInProvider, clientId: string, rawNonce: string, overrides: Record<string, unknown> = {}) {
  return {
    iss: provider.issuer,
    aud: clientId,
    exp: now() + 600,
    iat: now(),
    sub: `001234.${randomUUID().replace(/-/g, '')}.0612`,
    c_hash: 'q2vJMTaVvS0sYt4OakvXyw',
    email: `${randomUUID().slice(0, 10)}@privaterelay.appleid.com`,
    email_verified: 'true',
    is_private_email: 'true',
    auth_time: now(),
    nonce_supported: true,
    real_user_status: 2,
    nonce: hashNonce(rawNonce),
    ...overrides,
  };
}

/** The claims of Google's ID token from its native sign-in: aud the web client, azp the Android client. */
export function googleClaims(provider: StandInProvider, webClientId: string, androidClientId: string, rawNonce: string, overrides: Record<string, unknown> = {}) {
  return {
    iss: provider.issuer,
    azp: androidClientId,
    aud: webClientId,
    sub: String(100_000_000_000_000_000_000 + Math.floor(Math.random() * 1e9)),
    email: `cat-owner-${randomUUID().slice(0, 8)}@gmail.example`,
    email_verified: true,
    name: 'Mia Google',
    given_name: 'Mia',
    family_name: 'Google',
    picture: 'https://lh3.googleusercontent.example/a/photo',
    iat: now(),
    exp: now() + 3600,
    nonce: hashNonce(rawNonce),
    ...overrides,
  };
}

export const rawNonce = () => `nonce-${randomUUID()}`;
