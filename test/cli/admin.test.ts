import { Client } from 'pg';
import { start } from '../migrator/support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';

/** `npm run admin -- promote|demote EMAIL` over the migration connection: output, --json, exit codes 0 / 1 / 2. */
describe('npm run admin', () => {
  let db: TestDatabase;
  let client: Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  const admin = (...args: string[]) => start('node', ['-r', './src/cli/register-ts.js', 'src/cli/admin/main.ts', ...args], { MIGRATION_DATABASE_URL: db.url }).done;
  const addUser = async (email: string, role = 'player') =>
    (await client.query(`INSERT INTO auth.users (email, password_hash, role) VALUES ($1, 'x', $2) RETURNING id`, [email, role])).rows[0].id as string;
  const roleOf = async (id: string) => (await client.query(`SELECT role FROM auth.users WHERE id = $1`, [id])).rows[0].role as string;
  const eventsOf = async (id: string) =>
    (await client.query(`SELECT type, actor_id, detail FROM auth.audit_events WHERE user_id = $1 ORDER BY id`, [id])).rows;

  it('promote makes the first admin, says what it did, and records role_changed (via cli, no actor)', async () => {
    const id = await addUser('first@cathouse.example');
    const r = await admin('promote', 'First@Cathouse.example');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.trim()).toBe(`promoted first@cathouse.example (${id}): role player -> admin`);
    expect(await roleOf(id)).toBe('admin');
    expect(await eventsOf(id)).toEqual([{ type: 'role_changed', actor_id: null, detail: { from: 'player', to: 'admin', via: 'cli' } }]);

    // Again: nothing to change, exit 0, no second event.
    const again = await admin('promote', 'first@cathouse.example', '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ changed: false, from: 'admin', user: { id, role: 'admin' } });
    expect(await eventsOf(id)).toHaveLength(1);
  });

  it('demote takes admin away (player, or --role developer) but never from the last active admin', async () => {
    const last = await addUser('solo-admin@cathouse.example', 'admin');
    await client.query(`UPDATE auth.users SET role = 'player' WHERE email = 'first@cathouse.example'`);
    const refused = await admin('demote', 'solo-admin@cathouse.example');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('last active admin');
    expect(await roleOf(last)).toBe('admin');

    const other = await addUser('second-admin@cathouse.example', 'admin');
    const demoted = await admin('demote', 'solo-admin@cathouse.example', '--role', 'developer', '--json');
    expect(demoted.code).toBe(0);
    expect(JSON.parse(demoted.stdout)).toMatchObject({ changed: true, from: 'admin', user: { role: 'developer' } });
    expect(await roleOf(last)).toBe('developer');
    expect(await roleOf(other)).toBe('admin');
  });

  it('an unknown email is a problem (exit 1); bad usage is exit 2 with the usage hint', async () => {
    const missing = await admin('promote', 'nobody@cathouse.example', '--json');
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toEqual({ error: 'not_found', message: 'No user with the email nobody@cathouse.example.' });
    for (const args of [[], ['promote'], ['crown', 'x@y.z'], ['promote', 'a@b.c', 'd@e.f'], ['promote', 'a@b.c', '--role', 'player'], ['demote', 'a@b.c', '--role', 'admin'], ['promote', 'a@b.c', '--bogus']]) {
      const r = await admin(...args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
    }
    expect((await admin('demote', 'a@b.c', '--role', 'emperor')).stderr).toContain('npm run admin -- demote --help');
  });

  it('refuses a pooler as MIGRATION_DATABASE_URL like the migration tool (exit 2, naming the variable)', async () => {
    const url = new URL(db.url);
    url.port = '6432';
    const r = await start('node', ['-r', './src/cli/register-ts.js', 'src/cli/admin/main.ts', 'promote', 'first@cathouse.example'], { MIGRATION_DATABASE_URL: url.toString() }).done;
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('MIGRATION_DATABASE_URL');
  });
});
