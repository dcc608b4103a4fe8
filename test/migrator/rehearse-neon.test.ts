import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { adminUrl } from '../support/env';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { migrate } from './support/cli';
import { startFakeNeon, type FakeNeon } from './support/fake-neon';
import { projectMigrationsDir, type MigrationsDir } from './support/fixtures';

/**
 * Issue 24: the seed's "test in a development branch", done by `rehearse --neon` through Neon's
 * API v2 (here a local server speaking it, each branch a TEMPLATE copy of the database): the
 * branch is made from the migration database's own branch, rehearsed (up, down, up, the losses
 * counted), and deleted, or kept with --keep and its URI printed without the password.
 */
describe('rehearse --neon', () => {
  let db: TestDatabase;
  let dir: MigrationsDir;
  let neon: FakeNeon;

  beforeEach(async () => {
    db = await createTestDatabase({ migrated: true });
    dir = projectMigrationsDir();
    const client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(`INSERT INTO auth.users (email, password_hash, display_name) VALUES ('tom@example.com', 'x', 'Tom'), ('mia@example.com', 'x', 'Mia')`);
    await client.end();
    // A data migration that overwrites values, with nothing in down(): what the rehearsal must count.
    writeFileSync(
      path.join(dir.dir, '1799999999998-ShoutDisplayNames.ts'),
      `import { MigrationInterface, QueryRunner } from "typeorm";
export class ShoutDisplayNames1799999999998 implements MigrationInterface {
    name = 'ShoutDisplayNames1799999999998'
    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(\`UPDATE "auth"."users" SET "display_name" = upper("display_name")\`);
    }
    public async down(): Promise<void> {}
}
`,
    );
    neon = await startFakeNeon({ adminUrl: adminUrl(), mainDatabase: db.name, mainHost: new URL(db.url).hostname });
  });
  afterEach(async () => {
    await neon.close();
    await db.drop();
    dir.remove();
  });

  const env = (overrides: Record<string, string> = {}) => ({
    MIGRATION_DATABASE_URL: db.url,
    NEON_API_KEY: neon.apiKey,
    NEON_PROJECT_ID: neon.projectId,
    NEON_API_URL: neon.url,
    ...overrides,
  });
  const realRows = async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const names = (await client.query(`SELECT display_name FROM auth.users ORDER BY email`)).rows.map((r) => r.display_name);
      const applied = (await client.query(`SELECT count(*)::int AS n FROM migrator.migrations WHERE name = 'ShoutDisplayNames1799999999998'`)).rows[0].n;
      return { names, applied };
    } finally {
      await client.end();
    }
  };

  it('branches the migration database, rehearses there with its data, counts the loss, and deletes the branch', async () => {
    const r = await migrate(['rehearse', '--neon', '--dir', dir.dir], env()).done;
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('created Neon branch rehearse-') });
    expect(r.stdout).toMatch(/^Neon branch rehearse-\S+ \(br-[0-9a-f]+\) of br-main-000001, database cathouse_test_\w+_br_[0-9a-f]+$/m);
    expect(r.stdout).toContain('DESTROYED 2 value(s): auth.users.display_name overwritten by up() and not given back by down()');
    expect(r.stdout).toContain('warning: ShoutDisplayNames1799999999998: down() is empty');
    expect(r.stdout).toMatch(/rehearsal passed in .*; Neon branch rehearse-\S+ deleted; the real database was not changed$/m);

    // The calls Neon's API takes, in order: the endpoint's branch, the new branch with a compute, polling, the URI, the delete.
    const calls = neon.requests.map((q) => `${q.method} ${q.path.replace(/\?.*/, '')}`.replace(/\/projects\/[^/]+/, '').replace(/\/(operations|branches)\/[\w-]+$/, '/$1/ID'));
    expect(calls[0]).toBe('GET /api/v2/endpoints');
    expect(calls[1]).toBe('POST /api/v2/branches');
    expect(neon.requests[1]!.body).toMatchObject({ branch: { parent_id: 'br-main-000001', name: expect.stringMatching(/^rehearse-/) }, endpoints: [{ type: 'read_write' }] });
    expect(calls.filter((c) => c === 'GET /api/v2/operations/ID').length).toBeGreaterThanOrEqual(4);
    expect(neon.requests.find((q) => q.path.includes('/connection_uri'))!.path).toContain(`database_name=${db.name}&role_name=postgres`);
    expect(calls).toContain('DELETE /api/v2/branches/ID');
    expect([...neon.branches.keys()]).toEqual(['br-main-000001']);
    expect(await realRows()).toEqual({ names: ['Mia', 'Tom'], applied: 0 });
  }, 120_000);

  it('--keep leaves the branch, with the migrations applied, and prints its URI without the password', async () => {
    const r = await migrate(['rehearse', '--neon', '--keep', '--dir', dir.dir], env()).done;
    expect(r.code).toBe(0);
    const kept = [...neon.branches.entries()].find(([id]) => id !== 'br-main-000001')!;
    expect(r.stdout).toContain(`kept (--keep), with the pending migrations applied: postgres://postgres:***@127.0.0.1:`);
    expect(r.stdout).not.toContain(new URL(adminUrl()).password);
    const branch = new Client({ connectionString: new URL(`/${kept[1]}`, adminUrl()).toString() });
    await branch.connect();
    try {
      expect((await branch.query(`SELECT display_name FROM auth.users ORDER BY email`)).rows.map((x) => x.display_name)).toEqual(['MIA', 'TOM']);
    } finally {
      await branch.end();
    }
    expect(await realRows()).toEqual({ names: ['Mia', 'Tom'], applied: 0 });
  }, 120_000);

  it('says in one line (exit 2) what is missing or refused', async () => {
    const unset = await migrate(['rehearse', '--neon', '--dir', dir.dir], { MIGRATION_DATABASE_URL: db.url }).done;
    expect({ code: unset.code, err: unset.stderr.trim() }).toEqual({
      code: 2,
      err: 'error: rehearse --neon needs NEON_API_KEY, NEON_PROJECT_ID: the Neon project\'s API key and id, and the URL of the database to branch (see .env.example)',
    });
    const refused = await migrate(['rehearse', '--neon', '--dir', dir.dir], env({ NEON_API_KEY: 'napi_wrong' })).done;
    expect({ code: refused.code, lines: refused.stderr.trim().split('\n').length }).toEqual({ code: 2, lines: 2 });
    expect(refused.stderr).toContain('error: the Neon API answered 401 to GET /endpoints: authentication required: check NEON_API_KEY');
    expect(refused.stderr).not.toContain('napi_wrong');
  }, 60_000);
});
