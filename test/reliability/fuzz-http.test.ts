import fc from 'fast-check';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { auth, tokensOf } from './support/auth-http';
import { createSigningKey, productionEnv, startServiceProcess, type ServiceProcess, type SigningKey } from './support/service-process';
import { report } from './support/traffic';
import { nasty } from './support/fuzz-strings';

/*
 * Property-based fuzzing of the whole HTTP surface with fast-check: malformed and hostile bodies,
 * content types, methods, paths and tokens against every endpoint of a real service process.
 * For every answer: never a 5xx, never a stack trace or a file path, errors are problem+json with
 * a code, and a token only for credentials (or a refresh token) that are really valid.
 */

const RUNS_PER_PROPERTY = Number(process.env.FUZZ_RUNS ?? 1500);

let db: TestDatabase;
let key: SigningKey;
let service: ServiceProcess;

const real = { email: 'fuzz-owner@example.com', password: 'correct horse battery staple' };
/** Every account known to exist, normalised email → password; fuzzed registrations that succeed are added. */
const accounts = new Map<string, string>();
/** Every refresh token the service has issued to us (rotated ones included). */
const issuedRefreshTokens = new Set<string>();
let accessToken = '';
let refreshToken = '';

beforeAll(async () => {
  db = await createTestDatabase();
  key = await createSigningKey();
  service = await startServiceProcess({
    env: productionEnv({
      databaseUrl: db.url,
      key,
      // Throttling would turn most login attempts into 429s before the password is even looked at.
      extra: { LOGIN_MAX_FAILURES_PER_ACCOUNT: '10000', LOGIN_MAX_FAILURES_PER_IP: '100000', LOGIN_ACCOUNT_BACKOFF_AFTER: '1000000', LOGIN_MAX_CHECKS_IN_FLIGHT: '10000', LOG_LEVEL: 'error' },
    }),
  });
  const registered = await auth.register(service.url, real.email, real.password);
  expect(registered.status).toBe(201);
  accounts.set(real.email, real.password);
  const tokens = tokensOf(registered);
  accessToken = tokens.access_token;
  refreshToken = tokens.refresh_token;
  issuedRefreshTokens.add(refreshToken);
});

afterAll(async () => {
  await service?.stop();
  await db?.drop();
  await key?.remove();
});

// ---- generators --------------------------------------------------------------------------------

const text = fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 40 }), nasty);
const email = fc.oneof(fc.emailAddress(), text, fc.constant(real.email));
const password = fc.oneof(text, fc.constant(real.password), fc.constant(real.password.toUpperCase()), fc.constant(`${real.password} `));

/** A token changed somewhere: one character, truncated, extended, segments swapped, `alg: none`. */
function mutated(token: () => string) {
  return fc.tuple(fc.nat(), fc.constantFrom('A', 'z', '_', '-', '.', '=', '0', '%'), fc.nat(5)).map(([pos, ch, kind]) => {
    const t = token();
    const i = t.length ? pos % t.length : 0;
    switch (kind) {
      case 0:
        return t.slice(0, i) + ch + t.slice(i + 1);
      case 1:
        return t.slice(0, i);
      case 2:
        return t + ch;
      case 3: {
        const parts = t.split('.');
        return [parts[1], parts[0], parts[2]].join('.');
      }
      case 4: {
        const parts = t.split('.');
        const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url');
        return `${header}.${parts[1] ?? ''}.`;
      }
      default:
        return t.toUpperCase();
    }
  });
}
const refreshTokenArb = fc.oneof(text, mutated(() => refreshToken), fc.constant('x'.repeat(600)));
const valueFor = (specific: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 4, arbitrary: specific },
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  );

/** Objects shaped like the API's requests, with any field present, missing, mistyped or extra. */
const shapedBody = fc.record(
  {
    email: valueFor(email),
    password: valueFor(password),
    refresh_token: valueFor(refreshTokenArb),
    grant_type: valueFor(fc.oneof(fc.constantFrom('password', 'refresh_token', 'client_credentials', 'authorization_code', ''), text)),
    username: valueFor(email),
    scope: valueFor(fc.constantFrom('global', 'local', '', 'admin')),
    role: valueFor(fc.constantFrom('player', 'developer', 'admin', 'root', '')),
    display_name: valueFor(text),
    is_active: valueFor(fc.boolean()),
    // Account lifecycle (issue 10).
    token: valueFor(fc.oneof(text, fc.constant('A'.repeat(43)), fc.constant('x'.repeat(300)))),
    current_password: valueFor(password),
    new_password: valueFor(password),
    new_email: valueFor(email),
    [String('__proto__')]: fc.constant({ role: 'admin' }),
    extra: text,
  },
  { requiredKeys: [] },
);

const rawBody: fc.Arbitrary<string | Uint8Array | undefined> = fc.oneof(
  { weight: 6, arbitrary: shapedBody.map((b) => JSON.stringify(b)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 300 }),
  shapedBody.map((b) => new URLSearchParams(Object.entries(b).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString()),
  fc.constantFrom(
    '{"email": ',
    '{"email":"a@b.c","password":"12345678"',
    '[',
    '"just a string"',
    '123',
    'null',
    '{"__proto__":{"role":"admin"},"email":"p@example.com","password":"correct horse battery staple"}',
    '{"constructor":{"prototype":{"role":"admin"}}}',
    `{"email":"${'a'.repeat(20_000)}@example.com","password":"x"}`,
    '['.repeat(5000) + ']'.repeat(5000),
    '{"email":"a@b.c","email":"fuzz-owner@example.com","password":"wrong"}',
  ),
  fc.constant(undefined),
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/problem+json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'text/plain',
  'application/xml',
  'json',
  '*/*',
  undefined,
);

const authorization = fc.oneof(
  fc.constant(undefined),
  fc.constant(() => `Bearer ${accessToken}`),
  mutated(() => accessToken).map((t) => () => `Bearer ${t}`),
  text.map((t) => () => `Bearer ${t}`),
  fc.constantFrom('Bearer', 'Bearer ', 'bearer x.y.z', 'Basic dXNlcjpwYXNz', 'Bearer a.b.c.d', `Bearer ${'a'.repeat(9000)}`).map((t) => () => t),
);

const ENDPOINTS = [
  ['POST', '/api/v1/auth/register'],
  ['POST', '/api/v1/auth/login'],
  ['POST', '/api/v1/auth/refresh'],
  ['POST', '/api/v1/auth/token'],
  ['POST', '/api/v1/auth/logout'],
  ['GET', '/api/v1/auth/me'],
  ['PATCH', '/api/v1/auth/users/:id'],
  ['GET', '/.well-known/jwks.json'],
  ['GET', '/api/v1/auth/openapi.json'],
  ['GET', '/api/v1/auth/health'],
  ['GET', '/api/v1/auth/ready'],
  ['POST', '/api/v1/auth/verify-email'],
  ['POST', '/api/v1/auth/verify-email/resend'],
  ['POST', '/api/v1/auth/password/forgot'],
  ['POST', '/api/v1/auth/password/reset'],
  ['POST', '/api/v1/auth/password/change'],
  ['POST', '/api/v1/auth/email/change'],
  ['PATCH', '/api/v1/auth/me'],
  ['DELETE', '/api/v1/auth/me'],
  ['POST', '/api/v1/auth/me/developer'],
] as const;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];
const encode = (t: string) => {
  try {
    return encodeURIComponent(t).slice(0, 200);
  } catch {
    return '%ED%A0%80'; // a lone surrogate, as the bytes a client would send
  }
};
const userIdSegment = fc.oneof(fc.uuid(), text.map(encode), fc.constantFrom('..', '%2e%2e', '0', '-1', "1'", '%', '%zz', '%E0%A4%A'));

const request = fc.record({
  endpoint: fc.constantFrom(...ENDPOINTS),
  method: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, fc.constantFrom(...METHODS)),
  userId: userIdSegment,
  body: rawBody,
  contentType,
  authorization,
  cookie: fc.option(fc.constantFrom('__Host-refresh_token=abc', 'a=b; c=d', '__Host-refresh_token=' + 'x'.repeat(5000)), { nil: undefined }),
  query: fc.option(fc.constantFrom('?a=1', '?__proto__[x]=1', '?email=a&email=b', '?' + 'x'.repeat(3000)), { nil: undefined }),
});

/** HTTP header values are bytes without CR, LF or NUL: anything else is replaced, as a client library would refuse to send it. */
const headerValue = (v: string) => v.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');

type GeneratedRequest = typeof request extends fc.Arbitrary<infer T> ? T : never;

// ---- checks ------------------------------------------------------------------------------------

const LEAKS = [/\n\s+at /, /node_modules/, /\/work\//, /\.ts:\d+/, /\.js:\d+/, /QueryFailedError/, /TypeError/, /ReferenceError/];

const normaliseEmail = (v: unknown) => (typeof v === 'string' ? v.trim().toLowerCase() : undefined);
const nfkc = (v: unknown) => (typeof v === 'string' ? v.normalize('NFKC') : undefined);

function parseBody(body: string | Uint8Array | undefined, type: string | undefined): Record<string, unknown> | undefined {
  if (typeof body !== 'string') return undefined;
  try {
    if (type?.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(body));
    const v: unknown = JSON.parse(body);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

interface Stats {
  requests: number;
  statuses: Record<number, number>;
  tokensIssued: number;
}

/** Sends one generated request and checks every promise on its answer; returns a violation or null. */
async function sendAndCheck(r: GeneratedRequest, stats: Stats): Promise<string | null> {
  const defaultMethod: string = r.endpoint[0];
  const template: string = r.endpoint[1];
  const method = r.method ?? defaultMethod;
  const path = template.replace(':id', r.userId) + (r.query ?? '');
  const headers: Record<string, string> = {};
  if (r.contentType) headers['content-type'] = r.contentType;
  if (r.authorization) headers.authorization = headerValue(r.authorization());
  if (r.cookie) headers.cookie = r.cookie;
  const sendsBody = method !== 'GET' && method !== 'HEAD' && r.body !== undefined;
  let response: Response;
  try {
    response = await fetch(`${service.url}${path}`, {
      method,
      headers,
      body: sendsBody ? r.body : undefined,
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    return `${method} ${path}: no answer (${(err as Error).message})`;
  }
  const text = await response.text();
  stats.requests++;
  stats.statuses[response.status] = (stats.statuses[response.status] ?? 0) + 1;
  const where = `${method} ${path.slice(0, 200)} [${r.contentType ?? 'no content-type'}] body=${String(sendsBody ? r.body : '').slice(0, 200)}`;

  if (response.status >= 500) return `${where}: answered ${response.status} ${text.slice(0, 300)}`;
  for (const leak of LEAKS) if (leak.test(text)) return `${where}: the answer leaks ${leak}: ${text.slice(0, 300)}`;
  // 431: Node's HTTP parser refuses headers over 16 KB itself, before the app sees the request.
  if (response.status >= 400 && method !== 'HEAD' && response.status !== 431 && template.endsWith('/token')) {
    // The token endpoint answers RFC 6749 §5.2 errors (issue 12): application/json, error and error_description, never cached.
    if (!response.headers.get('content-type')?.startsWith('application/json')) return `${where}: error ${response.status} is not RFC 6749 JSON (${response.headers.get('content-type')})`;
    const oauthError = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    if (typeof oauthError.error !== 'string' || typeof oauthError.error_description !== 'string') return `${where}: malformed OAuth error ${text.slice(0, 200)}`;
    if (response.headers.get('cache-control') !== 'no-store') return `${where}: an OAuth error without Cache-Control: no-store`;
  } else if (response.status >= 400 && method !== 'HEAD' && response.status !== 431) {
    if (!response.headers.get('content-type')?.startsWith('application/problem+json')) {
      return `${where}: error ${response.status} is not problem+json (${response.headers.get('content-type')})`;
    }
    const problem = JSON.parse(text) as { error?: unknown; status?: unknown };
    if (typeof problem.error !== 'string' || problem.status !== response.status) return `${where}: malformed problem ${text.slice(0, 200)}`;
  }

  // A token only for credentials that are really valid.
  const issued = response.status < 300 ? (parseBody(text, 'application/json') as { access_token?: unknown; refresh_token?: string } | undefined) : undefined;
  if (typeof issued?.access_token === 'string') {
    stats.tokensIssued++;
    const sent = parseBody(sendsBody ? r.body : undefined, r.contentType);
    const grant = sent?.grant_type;
    const isRefresh = template.endsWith('/refresh') || (template.endsWith('/token') && grant === 'refresh_token');
    const isPassword = template.endsWith('/login') || (template.endsWith('/token') && grant === 'password');
    if (template.endsWith('/register')) {
      const e = normaliseEmail(sent?.email);
      if (e) accounts.set(e, String(sent?.password));
    } else if (isRefresh) {
      if (!issuedRefreshTokens.has(String(sent?.refresh_token))) return `${where}: a token for a refresh token never issued`;
    } else if (template.endsWith('/me/developer')) {
      // Only for our own access token, and only once the email is verified (never, here: no link is ever used).
      return `${where}: me/developer answered a token although the email was never verified`;
    } else if (isPassword) {
      const e = normaliseEmail(sent?.email ?? sent?.username);
      const known = e === undefined ? undefined : accounts.get(e);
      if (known === undefined || nfkc(known) !== nfkc(sent?.password)) return `${where}: a token for wrong credentials`;
    } else {
      return `${where}: a token from an endpoint that does not issue tokens`;
    }
    if (issued.refresh_token) {
      issuedRefreshTokens.add(issued.refresh_token);
      refreshToken = issued.refresh_token;
    }
  }
  // A password change or a deletion that succeeded (it takes the real password) changes what a valid login is.
  if (response.status === 204 && (template.endsWith('/password/change') || (template.endsWith('/me') && method === 'DELETE'))) {
    const sent = parseBody(sendsBody ? r.body : undefined, r.contentType);
    if (method === 'DELETE') accounts.delete(real.email);
    else accounts.set(real.email, String(sent?.new_password));
  }
  // /me answers 2xx (GET, PATCH, DELETE) only for the real access token (byte for byte after base64url decoding).
  if (template.endsWith('/me') && ['GET', 'PATCH', 'DELETE'].includes(method) && response.status < 300) {
    const presented = headers.authorization?.replace(/^Bearer /, '') ?? '';
    const same = (a: string, b: string) =>
      a.split('.').length === 3 && a.split('.').every((seg, i) => Buffer.from(seg, 'base64url').equals(Buffer.from(b.split('.')[i]!, 'base64url')));
    if (!same(presented, accessToken)) return `${where}: /me accepted a token that is not one we were issued: ${presented.slice(0, 100)}`;
  }
  return null;
}

test('thousands of malformed requests against every endpoint: never a 5xx, a stack trace, or a token for wrong credentials', async () => {
  const stats: Stats = { requests: 0, statuses: {}, tokensIssued: 0 };
  const violations: string[] = [];
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const violation = await sendAndCheck(r, stats);
      if (violation) violations.push(violation);
      return violation === null;
    }),
    { numRuns: RUNS_PER_PROPERTY * 2, endOnFailure: true, interruptAfterTimeLimit: 90_000 },
  ).catch((err: unknown) => {
    violations.push(String((err as Error).message).slice(0, 1500));
  });
  report('HTTP fuzzing', { ...stats, seconds: Math.round((Date.now() - started) / 1000), violations: violations.length });
  if (violations.length) {
    // The service's logger writes asynchronously: give its error lines a moment (bounded) to arrive.
    for (let i = 0; i < 20 && !service.errorLog(); i++) await new Promise((r) => setTimeout(r, 100));
    process.stdout.write(`[reliability] service error log:\n${service.errorLog()}\n`);
  }
  expect(violations).toEqual([]);
  expect(stats.requests).toBeGreaterThanOrEqual(1000);
});

test('password logins with generated wrong passwords for a real account never yield a token', async () => {
  let sent = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(text, fc.constant(real.password.slice(0, -1)), fc.constant(real.password + '\u0000'), fc.constant(real.password.replace('c', 'C'))),
      async (wrong) => {
        fc.pre(nfkc(wrong) !== nfkc(real.password));
        sent++;
        const a = await auth.login(service.url, real.email, wrong);
        return a.status !== 200 && !a.body.includes('access_token') && a.status < 500;
      },
    ),
    { numRuns: RUNS_PER_PROPERTY / 3 },
  );
  report('wrong passwords for a real account', { sent, tokens: 0 });
  expect(sent).toBeGreaterThanOrEqual(Math.floor((RUNS_PER_PROPERTY / 3) * 0.8));
});

test('the fuzzing oracle itself: a real login counts as a token rightly issued, a token for an unknown account is flagged', async () => {
  const stats: Stats = { requests: 0, statuses: {}, tokensIssued: 0 };
  const base = {
    endpoint: ['POST', '/api/v1/auth/login'] as const,
    method: undefined,
    userId: '',
    contentType: 'application/json',
    authorization: undefined,
    cookie: undefined,
    query: undefined,
  };
  // Its own account: the fuzzing may have changed the real one's password or deleted it (both are endpoints now).
  const own = { email: 'fuzz-oracle@example.com', password: real.password };
  expect((await auth.register(service.url, own.email, own.password)).status).toBe(201);
  accounts.set(own.email, own.password);
  const rightful = await sendAndCheck({ ...base, body: JSON.stringify(own) } as GeneratedRequest, stats);
  expect(rightful).toBeNull();
  expect(stats.tokensIssued).toBe(1);
  // Forget the account: the same, valid login must now be reported as a token for wrong credentials.
  accounts.delete(own.email);
  const flagged = await sendAndCheck({ ...base, body: JSON.stringify(own) } as GeneratedRequest, stats);
  expect(flagged).toMatch(/a token for wrong credentials/);
});
