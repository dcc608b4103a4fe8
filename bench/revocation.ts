import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Client } from 'pg';
import {
  createJwksClient,
  createRevocationList,
  createSetVerifier,
  setPushHandler,
  startSetPoller,
  type SecurityEventToken,
} from '../packages/auth-client/src/index';
import { postJson, type BenchContext } from './lib/context';
import { figure, type Figure } from './lib/results';

/** Issue 29: how long after a logout a receiver refuses that session's token. */
export const REVOCATION_SETTINGS = {
  logouts: 100,
  interval_ms: 20,
  receivers: 'one Node receiver on @cathouse/auth-client in the runner process: a pushed stream (RFC 8935) and a polled one (RFC 8936, long poll)',
  events_poll_interval_ms: 500,
  node_env: 'test (push to a loopback http receiver needs EVENTS_ALLOWED_NETWORKS and no https; the sender is the same code)',
  measured: 'from sending POST /logout to the receiver applying the session-revoked SET to its deny-list',
  baseline: 'the access-token lifetime (ACCESS_TOKEN_TTL_SECONDS, 900 s): the window without revocation',
};

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/**
 * Logs out `logouts` sessions one after another (20 ms apart) while a receiver holds a pushed and
 * a polled stream, and records for each session when each stream's SET reached the receiver's
 * deny-list. The figures are the p50/p99 of that delay against the 15 minutes a verifier without
 * revocation would accept the token.
 */
export async function benchRevocation(ctx: BenchContext): Promise<Figure[]> {
  const s = { ...REVOCATION_SETTINGS, logouts: ctx.quick ? 30 : REVOCATION_SETTINGS.logouts };
  const clients = ['bench-push', 'bench-poll'] as const;
  const secrets = Object.fromEntries(clients.map((c) => [c, `chs_${randomBytes(32).toString('base64url')}`])) as Record<(typeof clients)[number], string>;
  const setup = new Client({ connectionString: ctx.serviceDbUrl });
  await setup.connect();
  try {
    for (const c of clients) {
      await setup.query(
        `INSERT INTO auth.service_clients (client_id, secret_hash, scopes) VALUES ($1, $2, '{ssf.manage}')
         ON CONFLICT (client_id) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, is_active = true`,
        [c, createHash('sha256').update(secrets[c]).digest()],
      );
    }
  } finally {
    await setup.end();
  }
  const service = await ctx.startService({
    databaseUrl: ctx.serviceDbUrl,
    bcryptCost: 4,
    extra: { NODE_ENV: 'test', EVENTS_ALLOWED_NETWORKS: '127.0.0.1/32', EVENTS_POLL_INTERVAL_MS: String(s.events_poll_interval_ms), SSF_ISSUER: 'https://auth.cathouse.example' },
  });
  const arrivals: Record<(typeof clients)[number], Map<string, number>> = { 'bench-push': new Map(), 'bench-poll': new Map() };
  const record = (client: (typeof clients)[number]) => (set: SecurityEventToken) => {
    const session = (set.sub_id as { session?: { id?: string } }).session?.id;
    if (session && !arrivals[client].has(session)) arrivals[client].set(session, performance.now());
  };
  const jwks = createJwksClient({ jwksUri: `${service.url}/.well-known/jwks.json` });
  const revocations = createRevocationList();
  const verifier = (audience: string) => createSetVerifier({ jwks, issuer: 'https://auth.cathouse.example', audience, tokenIssuer: 'cathouse-auth' });
  const receiver = express();
  receiver.post('/ssf/events', setPushHandler({ verifier: verifier('bench-push'), revocations, onEvent: record('bench-push') }));
  const listening = receiver.listen(0, '127.0.0.1');
  await new Promise((resolve) => listening.once('listening', resolve));
  const token = async (client: (typeof clients)[number]) => {
    const res = await fetch(`${service.url}/api/v1/auth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${client}:${secrets[client]}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    return ((await res.json()) as { access_token: string }).access_token;
  };
  const stream = async (client: (typeof clients)[number], body: unknown) => {
    const res = await fetch(`${service.url}/api/v1/auth/ssf/stream`, { method: 'POST', headers: { authorization: `Bearer ${await token(client)}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status !== 201) throw new Error(`POST ssf/stream answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as { stream_id: string };
  };
  await stream('bench-push', { delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: `http://127.0.0.1:${(listening.address() as AddressInfo).port}/ssf/events` } });
  const polled = await stream('bench-poll', {});
  const poller = startSetPoller({
    verifier: verifier('bench-poll'),
    revocations,
    pollUrl: `${service.url}/api/v1/auth/ssf/poll/${polled.stream_id}`,
    accessToken: () => token('bench-poll'),
    onEvent: record('bench-poll'),
  });
  const started = new Map<string, number>();
  const logoutMs: number[] = [];
  try {
    const email = `revocation-bench-${Date.now()}@example.com`;
    const password = 'correct horse battery staple';
    await postJson(`${service.url}/api/v1/auth/register`, { email, password }, 201);
    for (let i = 0; i < s.logouts; i++) {
      const { access_token: accessToken } = await postJson<{ access_token: string }>(`${service.url}/api/v1/auth/login`, { email, password }, 200);
      const sid = (JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;
      const t0 = performance.now();
      started.set(sid, t0);
      const res = await fetch(`${service.url}/api/v1/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } });
      if (res.status !== 204) throw new Error(`logout answered ${res.status}`);
      logoutMs.push(performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, s.interval_ms));
    }
    const deadline = Date.now() + 30_000;
    while (clients.some((c) => arrivals[c].size < s.logouts) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    await poller.stop();
    await new Promise((resolve) => listening.close(resolve));
    await service.stop();
  }
  const lifetimeMs = 900_000;
  logoutMs.sort((a, b) => a - b);
  return clients.flatMap((client) => {
    const delays = [...started].map(([sid, t0]) => (arrivals[client].get(sid) ?? NaN) - t0);
    const missing = delays.filter((d) => Number.isNaN(d)).length;
    if (missing > 0) throw new Error(`${missing} of ${s.logouts} revocations never reached the ${client} receiver within 30 s`);
    delays.sort((a, b) => a - b);
    const kind = client === 'bench-push' ? 'push' : 'poll';
    return (['p50', 'p99'] as const).map((p) =>
      figure({
        name: `revocation.${kind}.${p}`,
        label: `logout → receiver refuses the token, ${p} (${kind === 'push' ? 'pushed SETs, RFC 8935' : 'long-polled SETs, RFC 8936'}; ${s.logouts} logouts)`,
        value: percentile(delays, p === 'p50' ? 50 : 99),
        unit: 'ms',
        baseline: { label: 'access-token lifetime (no revocation)', value: lifetimeMs },
        goal: { text: '< 1% of the token lifetime (9 s)', ratioBelow: 0.01 },
        details: { max_ms: delays[delays.length - 1], logout_p50_ms: percentile(logoutMs, 50), logout_p99_ms: percentile(logoutMs, 99) },
      }),
    );
  });
}
