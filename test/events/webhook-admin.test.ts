import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { start } from '../migrator/support/cli';
import { useTestApp } from '../support/app';
import { startReceiver, type Receiver } from '../support/receiver';
import { bearer, promoteToAdmin, register, uniqueEmail } from '../auth/helpers';

/**
 * Webhook subscriptions managed through the admin API and `npm run admin -- webhooks` (issue 29):
 * admins only, validated input with stable error codes, the secret shown once, replay of a time
 * range, deliveries and dead letters per subscription, and the per-subscription metrics.
 */
const HOOKS = '/api/v1/auth/admin/webhooks';
const TOKEN_SECRET = 'test-secret-test-secret-test-secret-0123';

describe('webhooks: admin API, admin CLI, per-subscription metrics', () => {
  const t = useTestApp({ EVENTS_ALLOWED_NETWORKS: '127.0.0.1/32', EVENTS_RETRY_BASE_MS: '50', TOKEN_SECRET }, { events: true });
  let receiver: Receiver;
  let admin: string;

  beforeAll(async () => {
    receiver = await startReceiver({ status: () => 204 });
    const email = uniqueEmail('hook-admin');
    const reg = await register(t.app, email);
    await promoteToAdmin(t, reg.user.id);
    admin = (await request(t.app).post('/api/v1/auth/login').send({ email, password: 'correct horse battery staple' })).body.access_token;
  });
  afterAll(() => receiver.close());

  it('admin API: create (secret once), list, read, update, rotate, deliveries, replay, delete; players get 403', async () => {
    const player = await register(t.app, uniqueEmail('player'));
    expect((await request(t.app).get(HOOKS).set(bearer(player.access_token)).expect(403)).body.error).toBe('forbidden');
    await request(t.app).get(HOOKS).expect(401);

    const created = await request(t.app).post(HOOKS).set(bearer(admin)).send({ url: `${receiver.url}/in`, event_types: ['session.revoked'], description: 'billing' }).expect(201);
    expect(created.body).toMatchObject({ url: `${receiver.url}/in`, event_types: ['session.revoked'], status: 'enabled', description: 'billing', secret: expect.stringMatching(/^whsec_/) });
    const id = created.body.id as string;
    const listed = await request(t.app).get(HOOKS).set(bearer(admin)).expect(200);
    expect(JSON.stringify(listed.body)).not.toContain('whsec_');
    expect(listed.body.webhooks).toEqual([expect.objectContaining({ id })]);
    await request(t.app).get(`${HOOKS}/${id}`).set(bearer(admin)).expect(200);
    await request(t.app).patch(`${HOOKS}/${id}`).set(bearer(admin)).send({ event_types: ['session.revoked', 'user.deleted'] }).expect(200);

    const user = await register(t.app, uniqueEmail('hooked'));
    const from = new Date(Date.now() - 1_000).toISOString();
    await request(t.app).post('/api/v1/auth/logout').set(bearer(user.access_token)).expect(204);
    const [first] = await receiver.waitFor(1);
    expect(() => new Webhook(created.body.secret).verify(first!.body, first!.headers as Record<string, string>)).not.toThrow();
    await t.events!.sender.drain();
    const deliveries = await request(t.app).get(`${HOOKS}/${id}/deliveries`).set(bearer(admin)).expect(200);
    expect(deliveries.body.deliveries).toEqual([expect.objectContaining({ type: 'session.revoked', status: 'delivered', attempts: 1, last_status: 204 })]);

    // Replay: the same message again, with the same webhook-id (receivers drop what they have).
    const replay = await request(t.app).post(`${HOOKS}/${id}/replay`).set(bearer(admin)).send({ from, to: new Date(Date.now() + 1_000).toISOString() }).expect(200);
    expect(replay.body).toEqual({ replayed: 1 });
    t.events!.sender.nudge();
    const [, again] = await receiver.waitFor(2);
    expect(again!.headers['webhook-id']).toBe(first!.headers['webhook-id']);

    const rotated = await request(t.app).post(`${HOOKS}/${id}/rotate-secret`).set(bearer(admin)).send({ grace_seconds: 60 }).expect(200);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    expect(rotated.body.previous_secret_expires_at).toEqual(expect.any(String));

    // Per-subscription metrics: deliveries by outcome, backlog and dead letters.
    const metrics = (await request(t.app).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(new RegExp(`auth_event_deliveries_total\\{subscription="${id}",kind="webhook",outcome="delivered"\\} 2`));
    expect(metrics).toMatch(new RegExp(`auth_event_backlog\\{subscription="${id}",kind="webhook"\\} 0`));
    expect(metrics).toMatch(new RegExp(`auth_event_dead_letters\\{subscription="${id}",kind="webhook"\\} 0`));
    expect(metrics).toMatch(/auth_event_delivery_delay_seconds_count\{kind="webhook"\} 2/);

    await request(t.app).delete(`${HOOKS}/${id}`).set(bearer(admin)).expect(204);
    expect((await request(t.app).get(`${HOOKS}/${id}`).set(bearer(admin)).expect(404)).body.error).toBe('not_found');
  });

  it('admin API: bad input is 400 invalid_request naming the field, never a 500', async () => {
    const bad: Record<string, unknown>[] = [
      { url: receiver.url, event_types: ['session.nope'] },
      { url: receiver.url, event_types: [] },
      { url: 'http://169.254.169.254/', event_types: ['session.revoked'] },
      { url: 'not a url', event_types: ['session.revoked'] },
      { url: receiver.url, event_types: ['session.revoked'], secret: 'mine' },
    ];
    for (const body of bad) expect((await request(t.app).post(HOOKS).set(bearer(admin)).send(body).expect(400)).body.error).toBe('invalid_request');
    await request(t.app).get(`${HOOKS}/not-a-uuid`).set(bearer(admin)).expect(400);
    await request(t.app).post(`${HOOKS}/00000000-0000-4000-8000-000000000000/replay`).set(bearer(admin)).send({ from: 'yesterday', to: 'today' }).expect(400);
  });

  it('webhooks rotate and create in production read only the migration job\'s variables and TOKEN_SECRET, not the rest of the service\'s', async () => {
    const dbUrl = (t.dataSource.options as { url: string }).url;
    // What a migration job has, plus TOKEN_SECRET: no signing key, DATABASE_URL, SMTP_URL or OIDC_ISSUER.
    const prod = { NODE_ENV: 'production', MIGRATION_DATABASE_URL: dbUrl, TOKEN_SECRET };
    const cli = (env: Record<string, string>, ...args: string[]) => start('node', ['-r', './src/cli/register-ts.js', 'src/cli/admin/main.ts', 'webhooks', ...args], env).done;
    const hook = (await request(t.app).post(HOOKS).set(bearer(admin)).send({ url: `${receiver.url}/prod`, event_types: ['session.revoked'] }).expect(201)).body as { id: string };

    const rotated = await cli(prod, 'rotate', hook.id, '--grace-seconds', '0', '--json');
    expect(rotated).toMatchObject({ code: 0, stderr: '' });
    const secret = (JSON.parse(rotated.stdout) as { secret: string }).secret;
    // Sealed with the service's TOKEN_SECRET: the service signs with the rotated secret.
    const before = receiver.requests.length;
    const user = await register(t.app, uniqueEmail('prod-hook'));
    await request(t.app).post('/api/v1/auth/logout').set(bearer(user.access_token)).expect(204);
    const message = (await receiver.waitFor(before + 1)).slice(before).find((r) => r.path === '/prod')!;
    expect(() => new Webhook(secret).verify(message.body, message.headers as Record<string, string>)).not.toThrow();

    // Production's receiver policy: https only.
    expect(await cli(prod, 'create', `${receiver.url}/plain`, '--events', 'session.revoked')).toMatchObject({ code: 1, stderr: expect.stringContaining('https') });
    // Without TOKEN_SECRET: one line naming it (exit 2), and nothing else of the service asked for.
    const missing = await cli({ ...prod, TOKEN_SECRET: '' }, 'rotate', hook.id);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^TOKEN_SECRET: required/)]);
  }, 120_000);

  it('npm run admin -- webhooks: create prints the secret once, list, pause, deliveries, delete; usage errors exit 2', async () => {
    const dbUrl = (t.dataSource.options as { url: string }).url;
    const env = { MIGRATION_DATABASE_URL: dbUrl, DATABASE_URL: dbUrl, TOKEN_SECRET, EVENTS_ALLOWED_NETWORKS: '127.0.0.1/32', LOG_LEVEL: 'silent' };
    const cli = (...args: string[]) => start('node', ['-r', './src/cli/register-ts.js', 'src/cli/admin/main.ts', 'webhooks', ...args], env).done;

    const created = await cli('create', `${receiver.url}/cli`, '--events', 'user.deleted session.revoked', '--json');
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const hook = JSON.parse(created.stdout) as { id: string; secret: string; event_types: string[] };
    expect(hook.secret).toMatch(/^whsec_/);
    expect(hook.event_types).toEqual(['user.deleted', 'session.revoked']);

    const listed = await cli('list');
    expect(listed.stdout).toContain(`${hook.id}  enabled  ${receiver.url}/cli  events=user.deleted,session.revoked`);
    expect(listed.stdout).not.toContain('whsec_');
    expect((await cli('pause', hook.id)).stdout).toContain(`paused ${hook.id}  paused`);
    expect((await cli('deliveries', hook.id, '--dead')).stdout.trim()).toBe('no deliveries');

    // The secret made by the CLI signs what the service sends.
    await cli('enable', hook.id);
    const before = receiver.requests.length;
    const user = await register(t.app, uniqueEmail('cli-hook'));
    await request(t.app).post('/api/v1/auth/logout').set(bearer(user.access_token)).expect(204);
    const message = (await receiver.waitFor(before + 1)).slice(before).find((r) => r.path === '/cli')!;
    expect(() => new Webhook(hook.secret).verify(message.body, message.headers as Record<string, string>)).not.toThrow();

    expect(await cli('create', receiver.url)).toMatchObject({ code: 2, stderr: expect.stringContaining('--events') });
    expect(await cli('create', receiver.url, '--events', 'nope')).toMatchObject({ code: 1, stderr: expect.stringContaining('unknown') });
    expect(await cli('replay', hook.id, '--from', 'yesterday', '--to', 'now')).toMatchObject({ code: 2, stderr: expect.stringContaining('RFC 3339') });
    expect((await cli('delete', hook.id)).code).toBe(0);
    expect(await cli('delete', hook.id)).toMatchObject({ code: 1, stderr: expect.stringContaining('No webhook') });
    // Eleven CLI processes, each compiling TypeScript at start: ~45 s alone, more on a loaded machine.
  }, 180_000);
});
