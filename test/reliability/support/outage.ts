import { sleep } from './service-process';
import { percentile, runTraffic, tally, timedFetch, type Sample } from './traffic';

export interface OutageRun {
  /** Every request of the run. */
  readonly samples: Sample[];
  /** Requests sent after the fault was in place and answered before the repair began. */
  readonly during: Sample[];
  /** Requests of a short run after /ready answered 200 again. */
  readonly after: Sample[];
  readonly outageMs: number;
  /** How long /ready took to answer 200 once the repair had finished. */
  readonly readyAgainAfterMs: number;
}

export interface OutageOptions {
  serviceUrl: string;
  /** Puts the fault in place (stop a server, freeze it...). */
  breakIt: () => Promise<void> | void;
  /** Removes it. */
  repair: () => Promise<void> | void;
  outageMs: number;
  /** Client-side limit per request: a request slower than this is recorded as status 0 (a hang). */
  clientTimeoutMs: number;
  /** One request of the mixed traffic; worker 0 always calls /health, the others use this. */
  send: (worker: number, i: number) => Promise<Omit<Sample, 'start' | 'end' | 'ms'>>;
  concurrency?: number;
}

/**
 * Traffic before, during and after a fault: 1.5 s of normal traffic, the fault for `outageMs`,
 * the repair, then traffic until /ready answers 200 and 1.5 s more. Bounded by time and count.
 */
export async function runOutage(o: OutageOptions): Promise<OutageRun> {
  const health = async () => {
    const r = await timedFetch(`${o.serviceUrl}/api/v1/auth/health`, { timeoutMs: o.clientTimeoutMs });
    return { status: r.status, label: 'health', body: r.body };
  };
  const send = (w: number, i: number) => (w === 0 ? health() : o.send(w, i));
  let brokenAt = Infinity;
  let repairAt = Infinity;
  const t0 = performance.now();
  const fault = (async () => {
    await sleep(1500);
    await o.breakIt();
    brokenAt = performance.now() - t0;
    await sleep(o.outageMs);
    repairAt = performance.now() - t0;
    await o.repair();
  })();
  let samples: Sample[];
  try {
    samples = await runTraffic({ concurrency: o.concurrency ?? 5, durationMs: 1500 + o.outageMs + 1000, maxRequests: 50_000, send });
  } finally {
    await fault;
  }
  const repaired = performance.now();
  let readyAgainAfterMs = -1;
  for (let i = 0; i < 300 && performance.now() - repaired < 20_000; i++) {
    const r = await timedFetch(`${o.serviceUrl}/api/v1/auth/ready`, { timeoutMs: o.clientTimeoutMs }).catch(() => ({ status: 0 }));
    if (r.status === 200) {
      readyAgainAfterMs = Math.round(performance.now() - repaired);
      break;
    }
    await sleep(100);
  }
  if (readyAgainAfterMs < 0) throw new Error('/ready did not answer 200 within 20 s of the repair: the service did not recover by itself');
  const after = await runTraffic({ concurrency: o.concurrency ?? 5, durationMs: 1500, maxRequests: 20_000, send });
  const during = samples.filter((s) => s.start > brokenAt && s.end < repairAt);
  return { samples, during, after, outageMs: Math.round(repairAt - brokenAt), readyAgainAfterMs };
}

/** A /ready request as traffic. */
export function readyRequest(serviceUrl: string, timeoutMs: number) {
  return async () => {
    const r = await timedFetch(`${serviceUrl}/api/v1/auth/ready`, { timeoutMs });
    return { status: r.status, label: 'ready', body: r.body };
  };
}

/** No request hung (status 0 or slower than the limit), no 5xx but 503, every 503 a problem without a stack. */
export function expectFastFailures(samples: readonly Sample[], hangLimitMs: number, serviceOutput?: () => string) {
  const bad = samples.filter((s) => s.status === 0 || (s.status >= 500 && s.status !== 503));
  if (bad.length && serviceOutput) process.stdout.write(`[reliability] service error log:\n${serviceOutput()}\n`);
  expect(bad.slice(0, 5)).toEqual([]);
  const slow = samples.filter((s) => s.ms > hangLimitMs);
  expect(slow.slice(0, 5)).toEqual([]);
  for (const s of samples.filter((x) => x.status === 503)) {
    expect(JSON.parse(s.body!)).toMatchObject({ status: 503 });
    expect(s.body).not.toMatch(/\n\s+at /);
  }
}

export function outageSummary(run: OutageRun) {
  return {
    outage_ms: run.outageMs,
    during_outage: tally(run.during),
    during_outage_p99_ms: Math.round(percentile(run.during.map((s) => s.ms), 99)),
    during_outage_max_ms: Math.round(Math.max(0, ...run.during.map((s) => s.ms))),
    whole_run: tally(run.samples),
    ready_again_after_ms: run.readyAgainAfterMs,
    after_recovery: tally(run.after),
  };
}

/**
 * Traffic of logged-in users for the outage tests: each worker owns a session and alternates
 * refresh and /me, keeping its current refresh token. A refresh that failed (503) leaves the token
 * as it was, so after the outage every session must still refresh: none may be lost to it.
 */
export function sessionTraffic(serviceUrl: string, sessions: { refresh_token: string; access_token: string }[], timeoutMs: number) {
  const t0 = performance.now();
  const state = sessions.map((s) => ({ ...s, sid: sidOf(s.access_token), log: [] as string[] }));
  const send = async (worker: number, i: number) => {
    const s = state[worker % state.length]!;
    const result = await sendFor(s, i);
    s.log.push(`${Math.round(performance.now() - t0)}ms ${result.label} ${result.status}`);
    if (s.log.length > 30) s.log.shift();
    return result;
  };
  const sendFor = async (s: (typeof state)[number], i: number) => {
    if (i % 2 === 0) {
      const r = await timedFetch(`${serviceUrl}/api/v1/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: s.refresh_token }),
        timeoutMs,
      });
      if (r.status === 200) {
        const t = JSON.parse(r.body) as { refresh_token: string; access_token: string };
        s.refresh_token = t.refresh_token;
        s.access_token = t.access_token;
      }
      return { status: r.status, label: 'refresh', body: r.body };
    }
    const r = await timedFetch(`${serviceUrl}/api/v1/auth/me`, { headers: { authorization: `Bearer ${s.access_token}` }, timeoutMs });
    return { status: r.status, label: 'me', body: r.body };
  };
  /** Refreshes every session once more; the statuses, all 200 when no session was lost. */
  const finalCheck = async () =>
    Promise.all(
      state.map(async (s) => {
        const r = await timedFetch(`${serviceUrl}/api/v1/auth/refresh`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refresh_token: s.refresh_token }),
          timeoutMs,
        });
        return r.status;
      }),
    );
  /**
   * For sessions that no longer refresh: what the database says about them and their tokens, and
   * the last requests the test sent for them, so that a lost session can be explained.
   */
  const diagnose = async (databaseUrl: string, statuses: number[]) => {
    const { Client } = await import('pg');
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const out = [];
      for (const [i, s] of state.entries()) {
        if (statuses[i] === 200) continue;
        const session = (await client.query('SELECT created_at, revoked_at, revoked_reason, expires_at FROM auth.sessions WHERE id = $1', [s.sid])).rows[0];
        const tokens = (
          await client.query(
            'SELECT id, parent_id, created_at, used_at, expires_at FROM auth.refresh_tokens WHERE session_id = $1 ORDER BY created_at DESC LIMIT 5',
            [s.sid],
          )
        ).rows;
        out.push({ session: s.sid, final_status: statuses[i], db_session: session, newest_tokens: tokens, last_requests: s.log });
      }
      return out;
    } finally {
      await client.end();
    }
  };
  return { send, finalCheck, diagnose };
}

function sidOf(accessToken: string): string {
  const payload = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString()) as { sid?: string };
  return payload.sid ?? 'unknown';
}

/** Registers one user and opens `count` sessions for it. */
export async function openSessions(serviceUrl: string, count: number): Promise<{ refresh_token: string; access_token: string }[]> {
  const email = `outage-${Math.random().toString(36).slice(2)}@example.com`;
  const password = 'correct horse battery staple';
  const post = async (path: string) => {
    const r = await timedFetch(`${serviceUrl}/api/v1/auth/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
      timeoutMs: 15_000,
    });
    if (r.status >= 300) throw new Error(`${path} answered ${r.status}: ${r.body}`);
    return JSON.parse(r.body) as { refresh_token: string; access_token: string };
  };
  await post('register');
  const sessions = [];
  for (let i = 0; i < count; i++) sessions.push(await post('login'));
  return sessions;
}

