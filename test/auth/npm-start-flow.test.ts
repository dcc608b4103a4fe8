import { readFileSync } from 'node:fs';
import { access, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { findFreePort } from '../support/ports';
import { signalGroup, spawnInRepo, type Spawned } from '../support/processes';

const LISTENING = /listening on (http:\/\/\S+)/;
const PASSWORD = 'correct horse battery staple';

async function call(url: string, init: { method?: string; token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method: init.method ?? (init.body ? 'POST' : 'GET'), headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** The "done when": the frontend's whole flow on `npm start` with no configuration at all. */
describe('the auth flow on npm start (embedded PostgreSQL, development key)', () => {
  const running: Spawned[] = [];
  afterAll(() => running.forEach((p) => signalGroup(p, 'SIGKILL')));

  async function start(env: Record<string, string>) {
    const app = spawnInRepo('npm', ['start', '--silent'], env);
    running.push(app);
    const line = await app.waitForOutput(LISTENING, 60_000);
    return { app, api: `${LISTENING.exec(line)![1]}/api/v1/auth` };
  }
  /** SIGTERM, then wait until PostgreSQL has removed its postmaster.pid: only then is it really down. */
  async function stop(app: Spawned, dataDir: string) {
    signalGroup(app, 'SIGTERM');
    await app.exited;
    const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid');
    const deadline = Date.now() + 30_000;
    while (await access(pidFile).then(() => true, () => false)) {
      if (Date.now() > deadline) throw new Error('the embedded PostgreSQL is still running 30 s after SIGTERM');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('register → login → me → refresh → logout, an admin changes a role, and tokens survive a restart', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'cathouse-auth-start-'));
    const [port, pgPort] = await Promise.all([findFreePort(), findFreePort()]);
    const env = { DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(pgPort), HOST: '127.0.0.1', TOKEN_SECRET: '' };
    try {
      let { app, api } = await start(env);
      const reg = await call(`${api}/register`, { body: { email: 'Mia@Example.com', password: PASSWORD, display_name: 'Mia' } });
      expect(reg.status).toBe(201);
      const login = await call(`${api}/login`, { body: { email: 'mia@example.com', password: PASSWORD } });
      expect(login.status).toBe(200);
      expect((await call(`${api}/me`, { token: login.body.access_token })).body).toMatchObject({ email: 'mia@example.com', role: 'player' });
      const refreshed = await call(`${api}/refresh`, { body: { refresh_token: login.body.refresh_token } });
      expect(refreshed.status).toBe(200);
      expect((await call(`${api}/logout`, { method: 'POST', token: refreshed.body.access_token })).status).toBe(204);
      expect((await call(`${api}/refresh`, { body: { refresh_token: refreshed.body.refresh_token } })).body.error).toBe('invalid_grant');

      // The first admin is made in the database; then the API does the rest.
      const admin = await call(`${api}/register`, { body: { email: 'boss@example.com', password: PASSWORD } });
      // The embedded superuser's password is generated into DATA_DIR (0600).
      const password = readFileSync(path.join(dataDir, 'postgres.password'), 'utf8').trim();
      const db = new Client({ host: '127.0.0.1', port: pgPort, user: 'postgres', password, database: 'cathouse' });
      await db.connect();
      await db.query(`UPDATE auth.users SET role = 'admin' WHERE email = 'boss@example.com'`);
      await db.end();
      const patched = await call(`${api}/users/${reg.body.user.id}`, { method: 'PATCH', token: admin.body.access_token, body: { role: 'developer' } });
      expect(patched).toMatchObject({ status: 200, body: { role: 'developer' } });

      // The development key and token secret live in DATA_DIR/keys, so a restart logs nobody out.
      expect((await stat(path.join(dataDir, 'keys', 'jwt-signing-key.pem'))).mode & 0o777).toBe(0o600);
      await stop(app, dataDir);
      ({ app, api } = await start(env));
      expect((await call(`${api}/me`, { token: reg.body.access_token })).status).toBe(200);
      expect((await call(`${api}/refresh`, { body: { refresh_token: reg.body.refresh_token } })).status).toBe(200);
      await stop(app, dataDir);
    } finally {
      await rm(dataDir, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
    }
  }, 150_000);
});
