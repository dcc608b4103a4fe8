import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { postJson, type BenchContext } from './lib/context';
import { figure, round, type Figure } from './lib/results';

export const VERIFY_SETTINGS = {
  duration_s: 5,
  warmup_s: 1,
  token: 'a real access token from POST /login of the running service',
  baseline: "crypto.verify('sha256', header.payload, P-256 key, ieee-p1363) of the same token",
  client: '@cathouse/auth-client with its JWKS already fetched (cache warm)',
};

/** Calls `fn` as often as it can for `seconds` (checking the clock every 256 calls); calls per second. */
async function rate(seconds: number, fn: () => unknown): Promise<number> {
  const started = performance.now();
  const until = started + seconds * 1000;
  let n = 0;
  while (performance.now() < until) {
    for (let i = 0; i < 256; i++) await fn();
    n += 256;
  }
  return n / ((performance.now() - started) / 1000);
}

/** The piece of @cathouse/auth-client the benchmark calls: verify one token, resolve to its claims. */
type Verify = (token: string) => Promise<unknown>;

/** Builds the client's verifier for the service at `baseUrl`; adapts to the package's exported API. */
async function clientVerifier(baseUrl: string, issuer: string, audience: string): Promise<Verify> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const client = require('@cathouse/auth-client') as Record<string, unknown>;
  const options = { jwksUri: `${baseUrl}/.well-known/jwks.json`, issuer, audience };
  if (typeof client.createVerifier === 'function') {
    const v = (client.createVerifier as (o: unknown) => { verify: Verify })(options);
    return (t) => v.verify(t);
  }
  throw new Error(`@cathouse/auth-client exports ${Object.keys(client).join(', ')}: the benchmark does not know which one verifies`);
}

/**
 * 3. Verifications/s of a real access token by @cathouse/auth-client (keys cached), beside bare
 * crypto.verify of the same ES256 signature with the same key, in this process.
 */
export async function benchVerify(ctx: BenchContext): Promise<Figure[]> {
  const seconds = ctx.seconds(VERIFY_SETTINGS.duration_s);
  const service = await ctx.startService({ databaseUrl: ctx.serviceDbUrl, bcryptCost: 4 });
  try {
    const email = `verify-bench-${Date.now()}@example.com`;
    const password = 'correct horse battery staple';
    await postJson(`${service.url}/api/v1/auth/register`, { email, password }, 201);
    const { access_token: token } = await postJson<{ access_token: string }>(`${service.url}/api/v1/auth/login`, { email, password }, 200);

    const [h, p, s] = token.split('.') as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { kid: string; alg: string };
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { iss: string; aud: string };
    const jwks = (await (await fetch(`${service.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    if (!jwk) throw new Error(`the JWKS has no key ${header.kid}`);
    const key: KeyObject = createPublicKey({ key: jwk as never, format: 'jwk' });
    const input = Buffer.from(`${h}.${p}`);
    const signature = Buffer.from(s, 'base64url');
    const bare = () => {
      if (!cryptoVerify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature)) throw new Error('crypto.verify rejected the token');
    };
    bare();

    const verifyWithClient = await clientVerifier(service.url, claims.iss, Array.isArray(claims.aud) ? claims.aud[0] : claims.aud);
    await verifyWithClient(token); // fetches and caches the JWKS

    await rate(VERIFY_SETTINGS.warmup_s, bare);
    await rate(VERIFY_SETTINGS.warmup_s, () => verifyWithClient(token));
    // Alternate halves, so that drift on a busy machine touches both alike.
    const bareRates = [await rate(seconds / 2, bare)];
    const clientRates = [await rate(seconds / 2, () => verifyWithClient(token))];
    bareRates.push(await rate(seconds / 2, bare));
    clientRates.push(await rate(seconds / 2, () => verifyWithClient(token)));
    const bareRate = (bareRates[0]! + bareRates[1]!) / 2;
    const clientRate = (clientRates[0]! + clientRates[1]!) / 2;
    return [
      figure({
        name: 'verify.rps',
        label: '@cathouse/auth-client token verifications/s (1 thread)',
        value: clientRate,
        unit: 'verifications/s',
        baseline: { label: 'crypto.verify, same ES256 signature', value: bareRate, unit: 'verifications/s' },
        goal: { text: '≥ 80% of crypto.verify', ratioAtLeast: 0.8 },
        details: { client_rates: clientRates.map((r) => round(r, 0)), bare_rates: bareRates.map((r) => round(r, 0)), alg: header.alg },
      }),
    ];
  } finally {
    await service.stop();
  }
}
