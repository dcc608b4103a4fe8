import { spawn } from 'node:child_process';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { asServiceRole } from '../support/env';
import { startPgBouncer, type PgBouncer } from '../support/pgbouncer';
import { pollUntil } from '../support/poll';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { Fleet, type Retired } from './support/fleet';
import { migrateCommand } from './support/migrate-command';
import { buildReleases, type Releases } from './support/releases';
import { createSigningKey, productionEnv, REPO_ROOT, type SigningKey } from './support/service-process';
import { runSessionLoad, signUpUsers, type LoadResult } from './support/session-load';
import { report } from './support/traffic';

/*
 * Issue 21's proof: deploys as an operator runs them (docs/operations.md, "Deploys"), against a
 * real PostgreSQL through a real PgBouncer (transaction mode, as the auth role), with two
 * instances behind a balancer that follows /ready, under steady keep-alive traffic of signed-in
 * users. Zero failed requests, zero sign-outs, every queued mail delivered, and each instance
 * ready throughout except while it drains.
 */

const USERS = 6;
/** Each deploy takes 30-45 s on an idle machine; the bound leaves room for a loaded one (load average 20 took 125 s). */
const TEST_TIMEOUT_MS = 300_000;
const OLD_SECRET = 'deploy-old-secret-deploy-old-secret-0123456789';
const NEW_SECRET = 'deploy-new-secret-deploy-new-secret-0123456789';

let db: TestDatabase;
let bouncer: PgBouncer;
let key: SigningKey;
let smtp: TestSmtpServer;
let releases: Releases;

beforeAll(async () => {
  [db, key, smtp] = await Promise.all([createTestDatabase(), createSigningKey(), startSmtpServer()]);
  bouncer = await startPgBouncer(asServiceRole(db.url, 'auth'), { poolSize: 10 });
  releases = await buildReleases({
    className: 'DeployProbeColumn',
    // An expand step: a nullable column without a default is added without rewriting the table.
    up: 'ALTER TABLE auth.users ADD COLUMN deploy_probe text',
    down: 'ALTER TABLE auth.users DROP COLUMN deploy_probe',
  });
}, 120_000);

afterAll(async () => {
  await bouncer?.stop();
  await smtp?.stop();
  await db?.drop();
  await key?.remove();
  await releases?.remove();
});

function instanceEnv(): Record<string, string | undefined> {
  return productionEnv({
    databaseUrl: bouncer.url,
    key,
    extra: {
      DB_POOL_MAX: '4',
      TOKEN_SECRET: OLD_SECRET,
      SMTP_URL: smtp.url,
      MAIL_POLL_INTERVAL_MS: '200',
      MAIL_RETRY_BASE_SECONDS: '1',
      MAIL_MAX_PER_ADDRESS: '1000000',
      // The per-address ceiling over all networks (issue 22 M4) too: the load mails the same few addresses.
      MAIL_MAX_PER_ADDRESS_TOTAL: '1000000',
      MAIL_MAX_PER_IP: '1000000',
      LOGIN_MAX_FAILURES_PER_IP: '100000',
      // Long enough for the balancer (probing every 100 ms) to take the instance out of rotation.
      DRAIN_DELAY_MS: '1000',
    },
  });
}

/** `npm run migrate -- <args>` as the migration job runs it: only its own environment. */
async function migrate(...args: string[]): Promise<{ code: number | null; output: string }> {
  const { command, args: argv } = migrateCommand([...args, '--dir', releases.migrationsDir]);
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', MIGRATION_DATABASE_URL: db.url };
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(command, argv, { cwd: REPO_ROOT, env });
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Every mail the outbox holds was handed to the SMTP server. */
async function expectNoMailLost(): Promise<{ queued: number; sent: number }> {
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    const counts = async () => (await client.query(`SELECT count(*)::int AS queued, count(*) FILTER (WHERE status = 'sent')::int AS sent FROM auth.mail_outbox`)).rows[0] as { queued: number; sent: number };
    const settled = await pollUntil('every queued mail to be sent', async () => {
      const c = await counts();
      return c.queued === c.sent && smtp.received.length >= c.sent ? c : undefined;
    }, { timeoutMs: 60_000, intervalMs: 200 });
    expect(smtp.received.length).toBe(settled.sent);
    return settled;
  } finally {
    await client.end();
  }
}

function expectNothingLost(load: LoadResult, fleet: Fleet, retired: Retired[]): void {
  expect(load.failures).toEqual([]);
  expect({ failed: load.failed, signOuts: load.signOuts }).toEqual({ failed: 0, signOuts: 0 });
  expect(fleet.unreadyOutsideDrain).toEqual([]);
  expect(retired.map((r) => r.exitCode)).toEqual(retired.map(() => 0));
  expect(load.refreshes).toBeGreaterThan(0);
}

test('additive migration, rolling restart onto the new build, then a code rollback: nothing failed, nobody signed out, no mail lost', async () => {
  const fleet = new Fleet(instanceEnv);
  const retired: Retired[] = [];
  let done = false;
  let load: Promise<LoadResult> | undefined;
  try {
    const a1 = await fleet.add('a1', releases.entryA);
    const a2 = await fleet.add('a2', releases.entryA);
    const users = await signUpUsers(fleet, USERS, 'deploy');
    load = runSessionLoad(fleet, users, () => done);
    const t0 = Date.now();

    // 1. Expand: the migration job applies release B's migration while release A serves.
    const up = await migrate('up');
    expect({ code: up.code, output: up.output }).toMatchObject({ code: 0 });
    const afterUp = Date.now() - t0;
    // 2. Roll the code forward, one instance at a time.
    const b1 = await fleet.replace(a1, 'b1', releases.entryB).then((r) => (retired.push(r), fleet.instances.find((i) => i.name === 'b1')!));
    const b2 = await fleet.replace(a2, 'b2', releases.entryB).then((r) => (retired.push(r), fleet.instances.find((i) => i.name === 'b2')!));
    // 3. Roll the code back (the database stays ahead: release A is ready on it), then undo the migration.
    retired.push(await fleet.replace(b1, 'a3', releases.entryA));
    retired.push(await fleet.replace(b2, 'a4', releases.entryA));
    const down = await migrate('down');
    expect({ code: down.code, output: down.output }).toMatchObject({ code: 0 });
    done = true;
    const result = await load;
    const mail = await expectNoMailLost();
    report('deploy', {
      requests: result.sent,
      failed: result.failed,
      signOuts: result.signOuts,
      refreshes: result.refreshes,
      logins: result.logins,
      mailQueued: mail.queued,
      mailSent: mail.sent,
      migrateUpAfterMs: afterUp,
      drains: retired.map((r) => `${r.name} exit ${r.exitCode} in ${r.ms} ms`),
      seconds: Math.round((Date.now() - t0) / 1000),
    });
    expectNothingLost(result, fleet, retired);
  } finally {
    done = true;
    await load?.catch(() => undefined);
    await fleet.stop();
  }
}, TEST_TIMEOUT_MS);

test('TOKEN_SECRET rotated in two phases across two instances with live sessions and queued mail: nobody signed out, no mail lost', async () => {
  const fleet = new Fleet(instanceEnv);
  const retired: Retired[] = [];
  let done = false;
  let load: Promise<LoadResult> | undefined;
  const sentBefore = smtp.received.length;
  try {
    const o1 = await fleet.add('old1', releases.entryA);
    const o2 = await fleet.add('old2', releases.entryA);
    const users = await signUpUsers(fleet, USERS, 'rotate');
    // Mail queues up while the rotation runs: it is sealed with the old secret and the first phase's.
    await smtp.stop();
    load = runSessionLoad(fleet, users, () => done);
    const t0 = Date.now();
    const phaseOne = { TOKEN_NEXT_SECRET: NEW_SECRET };
    const phaseTwo = { TOKEN_SECRET: NEW_SECRET, TOKEN_PREVIOUS_SECRETS: OLD_SECRET };
    retired.push(await fleet.replace(o1, 'next1', releases.entryA, phaseOne));
    retired.push(await fleet.replace(o2, 'next2', releases.entryA, phaseOne));
    const [n1, n2] = fleet.instances;
    retired.push(await fleet.replace(n1!, 'new1', releases.entryA, phaseTwo));
    retired.push(await fleet.replace(n2!, 'new2', releases.entryA, phaseTwo));
    await smtp.start();
    done = true;
    const result = await load;
    const mail = await expectNoMailLost();
    report('TOKEN_SECRET rotation', {
      requests: result.sent,
      failed: result.failed,
      signOuts: result.signOuts,
      refreshes: result.refreshes,
      mailQueuedDuringRotation: smtp.received.length - sentBefore,
      mailSent: mail.sent,
      drains: retired.map((r) => `${r.name} exit ${r.exitCode} in ${r.ms} ms`),
      seconds: Math.round((Date.now() - t0) / 1000),
    });
    expectNothingLost(result, fleet, retired);
  } finally {
    done = true;
    await load?.catch(() => undefined);
    await fleet.stop();
  }
}, TEST_TIMEOUT_MS);
