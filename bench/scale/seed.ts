import { Client } from 'pg';
import { bytea, copyRows, NULL, random, ts, uuid } from './copy';
import { DOMAINS, NAMES, type ScaleShape } from './shape';

// The seeding of the scale bench: one function per table, in foreign-key order, each a COPY of
// generated rows. Kept in one file (251 lines) so the shape of the data reads in one place.

const DAY = 86_400_000;

/** What the measurements need to know of the seeded data (ids to log in as, to page, to exchange). */
export interface SeededData {
  /** Emails of seeded players with a typical history (the bench logs in as them). */
  readonly players: string[];
  readonly admins: string[];
  /** An installation of a seeded user, with that user's email. */
  readonly installation: { id: string; email: string };
  /** Rows per table and seconds per step. */
  readonly rows: Record<string, number>;
  readonly seconds: Record<string, number>;
}

interface UserRow {
  id: string;
  email: string;
  role: 'player' | 'developer' | 'admin';
  active: boolean;
}

/**
 * Seeds `url` (a migrated, empty database) with the shape of `shape`, as the superuser, with
 * session_replication_role = replica (no foreign-key or audit trigger fires: the rows are
 * consistent by construction, and the audit log's rows carry their own ids and times). Ends with
 * VACUUM ANALYZE, as autovacuum would have left a database of that age.
 */
export async function seedScaleDatabase(url: string, shape: ScaleShape, passwordHash: string, log: (line: string) => void): Promise<SeededData> {
  const client = new Client({ connectionString: url });
  await client.connect();
  const rows: Record<string, number> = {};
  const seconds: Record<string, number> = {};
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await fn();
    seconds[name] = Math.round((performance.now() - started) / 100) / 10;
    log(`seeded ${name}${rows[name] !== undefined ? ` (${rows[name]} rows)` : ''} in ${seconds[name]} s`);
    return result;
  };
  try {
    await client.query(`SET session_replication_role = replica`);
    await client.query(`SET synchronous_commit = off`);
    await client.query(`SET maintenance_work_mem = '512MB'`);
    const now = Date.now();
    const users = await step('users', () => seedUsers(client, shape, passwordHash, now, rows));
    await step('sessions', () => seedSessions(client, shape, users, now, rows));
    await step('audit_events', () => seedEvents(client, shape, users, now, rows));
    await step('account_tokens', () => seedAccountTokens(client, shape, users, now, rows));
    await step('mail_outbox', () => seedOutbox(client, shape, users, now, rows));
    const installation = await step('catalog_and_installations', () => seedCatalog(client, shape, users, now, rows));
    await step('vacuum_analyze', async () => {
      await client.query(`SET session_replication_role = origin`);
      await client.query(`VACUUM (ANALYZE)`);
    });
    const players = users.filter((u, i) => u.role === 'player' && u.active && i > shape.heavyUsers).slice(0, 2_000).map((u) => u.email);
    const admins = users.filter((u) => u.role === 'admin').map((u) => u.email);
    return { players, admins, installation, rows, seconds };
  } finally {
    await client.end();
  }
}

async function seedUsers(client: Client, shape: ScaleShape, passwordHash: string, now: number, rows: Record<string, number>): Promise<UserRow[]> {
  const rnd = random(1);
  const users: UserRow[] = [];
  for (let i = 0; i < shape.users; i++) {
    const r = rnd();
    // At least one admin whatever the scale; then 0.1% admins, 3% developers.
    const role = i === shape.heavyUsers || r < 0.001 ? 'admin' : r < 0.031 ? 'developer' : 'player';
    users.push({ id: uuid(rnd), email: `${NAMES[i % NAMES.length]}.${i}@${DOMAINS[i % DOMAINS.length]}`, role, active: role === 'admin' || rnd() < 0.99 });
  }
  const cols = ['id', 'email', 'password_hash', 'role', 'display_name', 'is_active', 'created_at', 'updated_at', 'email_verified_at'];
  await copyRows(client, 'auth.users', cols, users.length, (i) => {
    const u = users[i]!;
    const created = now - 730 * DAY * rnd();
    return [u.id, u.email, passwordHash, u.role, NAMES[i % NAMES.length]!, u.active ? 't' : 'f', ts(created), ts(created), rnd() < 0.9 ? ts(created + 3_600_000) : NULL];
  });
  rows.users = users.length;
  return users;
}

const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15',
  'CatHouse/3.2 (Android 15; Pixel 8)',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
];

const ip = (rnd: () => number) => `${10 + Math.floor(rnd() * 200)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${1 + Math.floor(rnd() * 254)}`;

/**
 * Live sessions (93%: used within the refresh lifetime), recently ended ones (2%: not yet
 * prunable, ended less than a day ago) and a backlog of prunable ones (5%: ended one to two days
 * ago), plus `heavyUsers` users with `heavyUserSessions` live sessions each.
 */
async function seedSessions(client: Client, shape: ScaleShape, users: UserRow[], now: number, rows: Record<string, number>): Promise<void> {
  const rnd = random(2);
  const heavy = shape.heavyUsers * shape.heavyUserSessions;
  const total = shape.sessions + heavy;
  const cols = ['id', 'user_id', 'created_at', 'last_used_at', 'expires_at', 'revoked_at', 'revoked_reason', 'user_agent', 'ip', 'refresh_generation', 'refresh_token_hash', 'refresh_rotated_at'];
  await copyRows(client, 'auth.sessions', cols, total, (i) => {
    const user = i < heavy ? users[Math.floor(i / shape.heavyUserSessions)]! : users[shape.heavyUsers + Math.floor(rnd() * (users.length - shape.heavyUsers))]!;
    const kind = rnd();
    let lastUsed = now - 29 * DAY * rnd();
    let created = Math.max(now - 89 * DAY, lastUsed - 60 * DAY * rnd());
    let revoked: number | undefined;
    if (i >= heavy && kind > 0.93) {
      // Ended: revoked (logout) or expired; within the last day (kept) or one to two days ago (prunable).
      const endedAt = now - (kind > 0.95 ? DAY + DAY * rnd() : DAY * rnd());
      if (rnd() < 0.5) revoked = endedAt;
      else lastUsed = endedAt - 30 * DAY;
      created = Math.min(created, (revoked ?? lastUsed) - 60_000);
    }
    const expires = Math.min(lastUsed + 30 * DAY, created + 90 * DAY);
    return [
      uuid(rnd), user.id, ts(created), ts(lastUsed), ts(expires), revoked === undefined ? NULL : ts(revoked), revoked === undefined ? NULL : 'logout',
      AGENTS[Math.floor(rnd() * AGENTS.length)]!, ip(rnd), String(Math.floor(rnd() * 300)), bytea(rnd, 32), ts(lastUsed),
    ];
  });
  rows.sessions = total;
}

const EVENT_TYPES: [string, number][] = [
  ['login_succeeded', 0.4],
  ['login_failed', 0.15],
  ['logout', 0.15],
  ['session_ended', 0.08],
  ['login_throttled', 0.07],
  ['user_registered', 0.05],
  ['password_reset_requested', 0.04],
  ['email_verified', 0.03],
  ['password_changed', 0.015],
  ['password_reset_completed', 0.01],
  ['refresh_token_reused', 0.003],
  ['role_changed', 0.001],
  ['active_changed', 0.001],
];

/** Audit events evenly over `eventDays` days, in time order (ids 1..n), their months' partitions first. */
async function seedEvents(client: Client, shape: ScaleShape, users: UserRow[], now: number, rows: Record<string, number>): Promise<void> {
  const rnd = random(3);
  const start = now - shape.eventDays * DAY;
  await client.query(
    `SELECT auth_audit.create_partition(m::date, 'auth.audit_events')
       FROM generate_series(date_trunc('month', to_timestamp($1 / 1000.0) AT TIME ZONE 'UTC'), date_trunc('month', now() AT TIME ZONE 'UTC'), interval '1 month') m`,
    [start],
  );
  const cumulative: [string, number][] = [];
  let sum = 0;
  for (const [type, p] of EVENT_TYPES) cumulative.push([type, (sum += p)]);
  const pick = () => {
    const r = rnd() * sum;
    return cumulative.find(([, c]) => r < c)![0];
  };
  const cols = ['id', 'occurred_at', 'type', 'user_id', 'ip', 'user_agent', 'detail'];
  const step = (now - start) / shape.events;
  await copyRows(client, 'auth.audit_events', cols, shape.events, (i) => {
    const type = pick();
    const anonymous = type === 'login_failed' && rnd() < 0.3;
    // A few users (the heavy ones) have far more history than the rest.
    const user = rnd() < 0.02 ? users[Math.floor(rnd() * shape.heavyUsers)]! : users[Math.floor(rnd() * users.length)]!;
    const detail = anonymous ? `{"reason": "unknown_email", "email_hash": "${uuid(rnd)}"}` : type === 'login_failed' ? '{"reason": "wrong_password"}' : '{}';
    return [String(i + 1), ts(start + i * step), type, anonymous ? NULL : user.id, ip(rnd), AGENTS[Math.floor(rnd() * AGENTS.length)]!, detail];
  });
  await client.query(`SELECT setval('auth_audit.audit_event_id_seq', $1)`, [shape.events]);
  rows.audit_events = shape.events;
}

/** Mail link tokens of the last two days (most spent or expired; half of them older than a day: prunable). */
async function seedAccountTokens(client: Client, shape: ScaleShape, users: UserRow[], now: number, rows: Record<string, number>): Promise<void> {
  const rnd = random(4);
  const cols = ['id', 'user_id', 'purpose', 'token_hash', 'new_email', 'created_at', 'expires_at', 'used_at'];
  await copyRows(client, 'auth.account_tokens', cols, shape.accountTokens, () => {
    const user = users[Math.floor(rnd() * users.length)]!;
    const r = rnd();
    const purpose = r < 0.6 ? 'verify_email' : r < 0.9 ? 'reset_password' : 'change_email';
    const created = now - 2 * DAY * rnd();
    const expires = created + (purpose === 'reset_password' ? 1_800_000 : DAY);
    return [uuid(rnd), user.id, purpose, bytea(rnd, 32), purpose === 'change_email' ? `new.${user.email}` : NULL, ts(created), ts(expires), rnd() < 0.6 ? ts(created + 600_000) : NULL];
  });
  rows.account_tokens = shape.accountTokens;
}

/** The mail of the last 30 days: sent (97%), failed (2%), pending (1%). */
async function seedOutbox(client: Client, shape: ScaleShape, users: UserRow[], now: number, rows: Record<string, number>): Promise<void> {
  const rnd = random(5);
  const templates = ['verify_email', 'reset_password', 'password_reset_done', 'password_changed', 'confirm_email_change', 'email_change_requested'];
  const cols = ['id', 'template', 'recipient', 'user_id', 'params', 'secret', 'status', 'attempts', 'next_attempt_at', 'last_error', 'created_at', 'sent_at'];
  await copyRows(client, 'auth.mail_outbox', cols, shape.outbox, () => {
    const user = users[Math.floor(rnd() * users.length)]!;
    const created = now - 30 * DAY * rnd();
    const r = rnd();
    const status = r < 0.97 ? 'sent' : r < 0.99 ? 'failed' : 'pending';
    return [
      uuid(rnd), templates[Math.floor(rnd() * templates.length)]!, user.email, user.id, '{}', status === 'pending' ? bytea(rnd, 48) : NULL, status,
      // Pending mail waits for a retry later today (the bench's senders must not churn through a backlog).
      status === 'failed' ? '8' : '1', ts(status === 'pending' ? now + DAY * rnd() : created), status === 'sent' ? NULL : 'connection refused', ts(created), status === 'sent' ? ts(created + 2_000) : NULL,
    ];
  });
  rows.mail_outbox = shape.outbox;
}

/**
 * Service clients, cats of the developers with three permissions each, and installations: every
 * player with a few (1.5 on average), each with its permissions two of three granted.
 */
async function seedCatalog(client: Client, shape: ScaleShape, users: UserRow[], now: number, rows: Record<string, number>): Promise<{ id: string; email: string }> {
  const rnd = random(6);
  for (let i = 0; i < shape.serviceClients; i++) {
    await client.query(`INSERT INTO auth.service_clients (client_id, secret_hash, scopes) VALUES ($1, $2, '{installations:exchange}')`, [`scale-client-${i}`, Buffer.alloc(32, i)]);
  }
  const developers = users.filter((u) => u.role === 'developer');
  const cats = Array.from({ length: shape.cats }, () => uuid(rnd));
  await copyRows(client, 'catalog.cats', ['id', 'developer_id', 'name', 'version', 'endpoint_url', 'status', 'created_at', 'updated_at'], cats.length, (i) => {
    const created = ts(now - 365 * DAY * rnd());
    return [cats[i]!, developers[i % developers.length]!.id, `Cat ${i}`, '1.0.0', `https://cat${i}.cats.example/api`, rnd() < 0.9 ? 'published' : 'draft', created, created];
  });
  const types = ['storage', 'notification', 'external_api'];
  const permissions = cats.flatMap(() => types.map(() => uuid(rnd)));
  await copyRows(client, 'catalog.permissions', ['id', 'cat_id', 'permission_type'], permissions.length, (i) => [permissions[i]!, cats[Math.floor(i / 3)]!, types[i % 3]!]);
  rows.cats = cats.length;
  rows.permissions = permissions.length;

  // Installation i belongs to user i / 1.5 (so most users have one or two), of cats picked without repeats per user.
  const installations = Array.from({ length: shape.installations }, () => uuid(rnd));
  const ownerOf = (i: number) => users[(shape.heavyUsers + Math.floor(i / 1.5)) % users.length]!;
  const catOf = (i: number) => (i * 7919) % cats.length;
  await copyRows(client, 'installation.installations', ['id', 'user_id', 'cat_id', 'instance_name', 'status', 'installed_at', 'last_interaction_at', 'updated_at'], installations.length, (i) => {
    const at = now - 180 * DAY * rnd();
    return [installations[i]!, ownerOf(i).id, cats[catOf(i)]!, `default-${i}`, rnd() < 0.9 ? 'active' : 'paused', ts(at), ts(at + DAY * rnd()), ts(at)];
  });
  // cat_id too: its trigger (migration InstallationGrantsOfOwnCat) does not fire under session_replication_role = replica.
  await copyRows(client, 'installation.installation_permissions', ['installation_id', 'permission_id', 'cat_id', 'granted', 'granted_at'], installations.length * 3, (i) => {
    const inst = Math.floor(i / 3);
    return [installations[inst]!, permissions[catOf(inst) * 3 + (i % 3)]!, cats[catOf(inst)]!, i % 3 === 2 ? 'f' : 't', ts(now - DAY)];
  });
  rows.installations = installations.length;
  rows.installation_permissions = installations.length * 3;
  // The bench's token exchange: an active installation of a player (index 0 is active unless the draw said paused).
  await client.query(`UPDATE installation.installations SET status = 'active' WHERE id = $1`, [installations[0]]);
  await client.query(`UPDATE catalog.cats SET status = 'published' WHERE id = $1`, [cats[catOf(0)]]);
  return { id: installations[0]!, email: ownerOf(0).email };
}
