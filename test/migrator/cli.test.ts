import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { findFreePort } from '../support/ports';
import { migrate, npmRun, start } from './support/cli';
import { migrationsDir, projectMigrationsDir, type MigrationsDir } from './support/fixtures';

/** The CLI shell: what each command prints, --json, and the exit codes 0 / 1 / 2. */
describe('npm run migrate', () => {
  let db: TestDatabase;
  let dir: MigrationsDir;
  let env: Record<string, string>;

  beforeEach(async () => {
    db = await createTestDatabase({ migrated: false });
    dir = migrationsDir('basic');
    env = { MIGRATION_DATABASE_URL: db.url };
  });
  afterEach(async () => {
    await db.drop();
    dir.remove();
  });

  const run = (...args: string[]) => migrate([...args, '--dir', dir.dir], env).done;
  const applied = async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query('SELECT name FROM migrator.migrations ORDER BY id')).rows.map((r) => r.name);
    } finally {
      await client.end();
    }
  };

  it('status shows current, head and pending; up applies with per-migration timings and a summary', async () => {
    const before = await run('status');
    expect(before.code).toBe(0);
    expect(before.stdout).toContain('current: (base: nothing applied)');
    expect(before.stdout).toContain('head:    CreateToys1700000000003');
    expect(before.stdout).toContain('  [ ] AddKittenColor1700000000002');
    const up = await run('up');
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/^applied {2}CreateKittens1700000000001 {2}(\d+ ms|\d+\.\d+ s)$/m);
    expect(up.stdout).toMatch(/3 migration\(s\) applied in (\d+ ms|\d+\.\d+ s)/);
    expect(up.stderr).toContain('[2/3] up AddKittenColor1700000000002');
    const again = await run('up');
    expect(again.stdout).toContain('nothing to apply');
    const after = await run('status', '--json');
    expect(JSON.parse(after.stdout)).toMatchObject({ current: 'CreateToys1700000000003', pending: [], problems: [] });
  });

  it('up +N, down -N, down TARGET, down base, and stamp, each doing what it says', async () => {
    expect((await run('up', '+2')).code).toBe(0);
    expect(await applied()).toHaveLength(2);
    await run('up');
    const down = await run('down', '-2');
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/^reverted CreateToys1700000000003/m);
    expect(await applied()).toEqual(['CreateKittens1700000000001']);
    await run('up');
    await run('down', '1700000000001');
    expect(await applied()).toEqual(['CreateKittens1700000000001']);
    await run('down', 'base');
    expect(await applied()).toEqual([]);
    const stamp = await run('stamp', 'head');
    expect(stamp.stdout).toContain('current revision: CreateToys1700000000003; no SQL was run');
    expect(await applied()).toHaveLength(3);
    // Nine CLI starts: on a loaded two-core machine each can take several seconds.
  }, 150_000);

  it('history --verbose lists every migration with when, how long, checksum and file', async () => {
    await run('up', 'AddKitten');
    const r = await run('history', '--verbose');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\[ \] CreateToys1700000000003 \(head\)$/m);
    expect(r.stdout).toMatch(/^\[x\] \(current\) AddKittenColor1700000000002$/m);
    expect(r.stdout).toMatch(/applied: {2}\d{4}-\d\d-\d\dT.* by .*@.* via migrate in \d+ ms/);
    expect(r.stdout).toMatch(/checksum: [0-9a-f]{16} \(ok\)/);
    expect(r.stdout).toContain(path.join('1700000000001-CreateKittens.ts'));
  });

  it('up --sql and down --sql print the SQL with migration names as comments and change nothing', async () => {
    const preview = await run('up', '--sql');
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain('-- AddKittenColor1700000000002 (up)\nBEGIN;\nALTER TABLE "kittens" ADD "color" character varying(20);');
    expect(preview.stdout).toContain('-- 3 migration(s) previewed (up); nothing was changed');
    await expect(applied()).rejects.toThrow('relation "migrator.migrations" does not exist');
    await run('up');
    const back = await run('down', 'base', '--sql');
    expect(back.stdout).toContain('-- CreateKittens1700000000001 (down)\nBEGIN;\nDROP TABLE "kittens";\nDELETE FROM "migrator"."migrations" WHERE "name" = \'CreateKittens1700000000001\';\nCOMMIT;');
    expect(await applied()).toHaveLength(3);
  });

  it("accepts Alembic's words: upgrade and downgrade are up and down; current and heads print one line each, as Alembic's do", async () => {
    expect(await run('current')).toMatchObject({ code: 0, stdout: '(base: nothing applied)\n' });
    expect(await run('heads')).toMatchObject({ code: 0, stdout: 'CreateToys1700000000003 (head)\n' });
    expect((await run('upgrade', '+2')).code).toBe(0);
    expect(await applied()).toEqual(['CreateKittens1700000000001', 'AddKittenColor1700000000002']);
    expect((await run('downgrade', '-1')).code).toBe(0);
    expect(await applied()).toEqual(['CreateKittens1700000000001']);
    expect((await run('current')).stdout).toBe('CreateKittens1700000000001\n');
  });

  it('prints the same SQL for the range form FROM:TO --sql as for the target form, and refuses a range without --sql', async () => {
    await run('up', 'CreateKittens');
    const target = await run('up', 'head', '--sql');
    expect(target.code).toBe(0);
    expect(target.stdout).toContain('-- AddKittenColor1700000000002 (up)');
    expect(await run('up', 'CreateKittens:head', '--sql')).toMatchObject({ code: 0, stdout: target.stdout });
    expect(await run('upgrade', '1700000000001:CreateToys', '--sql')).toMatchObject({ code: 0, stdout: target.stdout });
    const down = await run('down', 'base', '--sql');
    expect(down.stdout).toContain('-- CreateKittens1700000000001 (down)');
    expect(await run('downgrade', 'CreateKittens:base', '--sql')).toMatchObject({ code: 0, stdout: down.stdout });
    const refused = await run('up', 'base:head');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('a range (base:...) is for the SQL preview only (--sql)');
    expect(await applied()).toEqual(['CreateKittens1700000000001']);
  });

  it('rebase NAME renames a pending migration after the head; exit 1 for an applied one', async () => {
    rmSync(path.join(dir.dir, '1700000000002-AddKittenColor.ts'));
    await run('up');
    dir.add('basic');
    const ok = await run('rebase', 'AddKittenColor');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^rebased AddKittenColor1700000000002 to AddKittenColor(\d{13}): .*-AddKittenColor\.ts now follows CreateToys1700000000003; commit the renamed file/);
    const refused = await run('rebase', 'CreateKittens');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('CreateKittens1700000000001 is already applied');
  });

  it('exits 1 with the migration and statement when one fails, and 1 on a problem found', async () => {
    dir.add('failing');
    const failed = await run('up');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^FAILED {3}BrokenMigration1700000000004/m);
    expect(failed.stdout).toContain('error: BrokenMigration1700000000004');
    expect(failed.stdout).toContain('at statement: ALTER TABLE "no_such_table"');
    const failedJson = JSON.parse((await run('up', '--json')).stdout);
    expect(failedJson.results.map((r: { status: string }) => r.status)).toEqual(['failed']);
    expect(failedJson.error).toMatchObject({ code: 'migration_failed', message: expect.stringContaining('BrokenMigration1700000000004') });
    // A changed statement: a comment or the layout would keep the checksum.
    const edited = path.join(dir.dir, '1700000000001-CreateKittens.ts');
    writeFileSync(edited, readFileSync(edited, 'utf8').replace('"name"', '"full_name"'));
    const status = await run('status');
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('checksum_mismatch: ');
    const json = await run('up', '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'checksum_mismatch' } });
  });

  it.each(['status', 'history', 'current', 'up'])(
    '%s loads neither TypeORM, nor the TypeScript compiler, nor any migration file, so it starts fast whatever src/migrations holds (up: with nothing to do)',
    async (command) => {
      await run('up');
      const probe = [
        `require('./src/cli/main.ts').main(['${command}', '--dir', process.argv[1]], { out() {}, err() {} }).then((code) => {`,
        '  const loaded = Object.keys(require.cache);',
        "  const has = (part) => loaded.some((f) => f.includes(part));",
        "  process.stdout.write(JSON.stringify({ code, typeorm: has('/node_modules/typeorm/'), typescript: has('/node_modules/typescript/'),",
        '    migrations: loaded.filter((f) => f.startsWith(process.argv[1])) }));',
        '});',
      ].join('\n');
      const r = await start('node', ['-r', './src/cli/register-ts.js', '-e', probe, dir.dir], env).done;
      expect(JSON.parse(r.stdout)).toEqual({ code: 0, typeorm: false, typescript: false, migrations: [] });
    },
  );

  it.each([
    [['up', 'Create'], /target "Create" matches 2 migrations: CreateKittens1700000000001, CreateToys1700000000003/],
    [['up', 'nope'], /no migration matches "nope"; known: /],
    [['sideways'], /unknown command "sideways"/],
    [['status', '--sql'], /--sql applies to up, down and stamp, not status/],
    [['down', '-1', 'base'], /either -N or a TARGET, not both/],
    [['up', '-1'], /-1 applies to down; up takes \+N/],
  ])('exits 2 with one line for bad usage: %j', async (args, message) => {
    const r = await run(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(await applied().catch(() => [])).toEqual([]);
  });

  it('exits 2 naming the variable for a bad configuration or an unreachable database', async () => {
    const bad = await migrate(['status'], { MIGRATION_DATABASE_URL: 'mysql://nope' }).done;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: MIGRATION_DATABASE_URL: expected a URL like postgres:/);
    const timeout = await migrate(['up'], { ...env, MIGRATION_LOCK_TIMEOUT_MS: 'soon' }).done;
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toContain('MIGRATION_LOCK_TIMEOUT_MS: expected a whole number');
    const down = await migrate(['status'], { MIGRATION_DATABASE_URL: 'postgres://u:secret@127.0.0.1:1/x' }).done;
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/cannot connect to MIGRATION_DATABASE_URL \(postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x\)/);
    expect(down.stderr).not.toContain('secret');
  });
});

describe('the plain TypeORM CLI keeps the same guarantees', () => {
  it('migration:run refuses to run over an edited migration and migration:revert reverts one under the lock', async () => {
    const db = await createTestDatabase({ migrated: false });
    try {
      const env = { MIGRATION_DATABASE_URL: db.url };
      expect((await npmRun('migration:run', env).done).code).toBe(0);
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        const { rows: before } = await client.query('SELECT name FROM migrator.migrations ORDER BY id');
        // Simulate an edited file by recording a different checksum for the first migration.
        await client.query(`UPDATE migrator.migration_checksums SET checksum = repeat('0', 64) WHERE name = $1`, [before[0].name]);
        const refused = await npmRun('migration:run', env).done;
        expect(refused.code).toBe(1);
        expect(refused.stderr + refused.stdout).toContain('refusing to migrate');
        await client.query(`DELETE FROM migrator.migration_checksums WHERE name = $1`, [before[0].name]);
        const revert = await npmRun('migration:revert', env).done;
        expect(revert.code).toBe(0);
        const { rows: after } = await client.query('SELECT name FROM migrator.migrations ORDER BY id');
        expect(after.map((r) => r.name)).toEqual(before.slice(0, -1).map((r) => r.name));
        const { rows: sums } = await client.query('SELECT name, via FROM migrator.migration_checksums ORDER BY name');
        // the reverted migration's checksum row went with it
        expect(sums.map((r) => r.name)).not.toContain(before.at(-1).name);
      } finally {
        await client.end();
      }
    } finally {
      await db.drop();
    }
  }, 150_000); // two TypeORM CLI processes (TypeScript loaded by swc): over 60 s at a load average of 20
});

describe('on the embedded default (no MIGRATION_DATABASE_URL)', () => {
  it('starts the development server in DATA_DIR for each command (up, status, check, rehearse, down --sql) and stops it again', async () => {
    const dir = projectMigrationsDir();
    const dataDir = path.join(dir.dir, 'data');
    const env = { DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await findFreePort()) };
    const files = readdirSync(dir.dir).filter((f) => /^\d{13}-/.test(f));
    try {
      const up = await migrate(['up', '--dir', dir.dir], env).done;
      expect(up.code).toBe(0);
      expect(up.stdout).toContain(`${files.length} migration(s) applied`);
      const status = await migrate(['status', '--json', '--dir', dir.dir], env).done;
      expect(JSON.parse(status.stdout)).toMatchObject({ pending: [], problems: [] });
      const check = await migrate(['check', '--dir', dir.dir], env).done;
      expect(check.code).toBe(0);
      const down = await migrate(['down', '--sql', '--dir', dir.dir], env).done;
      expect(down.stdout).toContain('-- 1 migration(s) previewed (down); nothing was changed');
      await migrate(['down', '--dir', dir.dir], env).done;
      const rehearse = await migrate(['rehearse', '--dir', dir.dir], env).done;
      expect(rehearse.code).toBe(0);
      expect(rehearse.stdout).toContain('rehearsal passed');
      // The exit code survives the embedded server's exit hook (it used to turn every failure into 0).
      const unknown = await migrate(['up', 'no-such-migration', '--dir', dir.dir], env).done;
      expect(unknown.code).toBe(2);
      const probe = new Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${env.EMBEDDED_PG_PORT}/postgres` });
      await expect(probe.connect()).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      dir.remove();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
