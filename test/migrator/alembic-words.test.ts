import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { COMMANDS } from '../../packages/migrator/src/cli/commands';
import { ROOT, migrate, start } from './support/cli';
import { migrationsDir, type MigrationsDir } from './support/fixtures';

/**
 * The seed's Alembic guide, typed as it is (issue 24 items 5, 6, 9, 10): its words, offline
 * history and SQL, clean SQL files, and status/current that say what they mean with consistent
 * exit codes (0 ok, 1 a problem found, 2 could not run).
 */
describe('the Alembic guide, command by command', () => {
  let db: TestDatabase;
  let dir: MigrationsDir;
  const env = () => ({ MIGRATION_DATABASE_URL: db.url });
  const run = (...args: string[]) => migrate([...args, '--dir', dir.dir], env()).done;
  // A port nothing listens on: the database is out of reach.
  const unreachable = { MIGRATION_DATABASE_URL: 'postgres://nobody:secret@127.0.0.1:1/nothing' };

  beforeEach(async () => {
    db = await createTestDatabase({ migrated: false });
    dir = migrationsDir('basic');
  });
  afterEach(async () => {
    await db.drop();
    dir.remove();
  });

  it('current prints the revision on one line and exits 0 whatever status reports (an edited migration)', async () => {
    const base = await run('current');
    expect({ code: base.code, out: base.stdout.trim() }).toEqual({ code: 0, out: '(base: nothing applied)' });
    expect((await run('up', '+2')).code).toBe(0);
    const current = await run('current');
    expect({ code: current.code, out: current.stdout.trim() }).toEqual({ code: 0, out: 'AddKittenColor1700000000002' });
    // An applied migration edited: status reports the checksum mismatch (exit 1); current only reads the revision.
    const file = path.join(dir.dir, '1700000000002-AddKittenColor.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace('character varying(20)', 'character varying(30)'));
    expect((await run('status')).code).toBe(1);
    const edited = await run('current', '--json');
    expect({ code: edited.code, json: JSON.parse(edited.stdout) }).toEqual({ code: 0, json: { current: 'AddKittenColor1700000000002', head: 'CreateToys1700000000003', atHead: false, pending: 1 } });
  }, 60_000);

  it('status does not say "at head" when the database has a migration no file defines', async () => {
    expect((await run('up')).code).toBe(0);
    rmSync(path.join(dir.dir, '1700000000003-CreateToys.ts'));
    const status = await run('status');
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('pending: none, but the database is not at this build\'s head: CreateToys1700000000003 is applied and no file defines it (see problems)');
    expect(status.stdout).not.toContain('the database is at head');
    expect((await run('current')).stdout.trim()).toBe('CreateToys1700000000003 (no migration file defines it: the database is ahead of these files)');
  }, 60_000);

  it('a pending file that does not compile: status, history, lint and up all exit 1 naming it', async () => {
    writeFileSync(path.join(dir.dir, '1700000000004-Broken.ts'), `export class Broken1700000000004 {\n  async up(q: any) { await q.query(\`SELECT 1\`; }\n  async down() {}\n}\n`);
    for (const command of [['status'], ['history'], ['lint'], ['up']]) {
      const r = await run(...command);
      expect({ command, code: r.code }).toEqual({ command, code: 1 });
      expect(`${r.stdout}${r.stderr}`).toMatch(/Broken1700000000004|1700000000004-Broken\.ts/);
    }
  }, 60_000);

  it('a range written backwards is refused naming the other direction (exit 2), not an empty preview', async () => {
    const r = await run('up', 'head:base', '--sql');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('up head:base is backwards: up goes from older to newer; for these revisions write down head:base, or up base:head');
  }, 30_000);

  it('revision -m MSG is create, revision --autogenerate -m MSG is generate (which refuses a database behind head)', async () => {
    const created = await run('revision', '-m', 'add kitten tail');
    expect(created.code).toBe(0);
    expect(readdirSync(dir.dir).some((f) => /^\d{13}-AddKittenTail\.ts$/.test(f))).toBe(true);
    const generated = await run('revision', '--autogenerate', '-m', 'update cat model');
    expect(generated.code).toBe(1);
    expect(generated.stderr).toMatch(/target database is not up to date: 4 migration\(s\) pending/);
    const bare = await run('revision');
    expect({ code: bare.code, err: bare.stderr }).toEqual({ code: 2, err: expect.stringContaining('revision needs -m MSG') });
  }, 60_000);

  it('show REV, heads and branches', async () => {
    expect((await run('up', '+1')).code).toBe(0);
    const show = await run('show', 'head-1');
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^Rev: AddKittenColor1700000000002\nParent: CreateKittens1700000000001\nPath: .*1700000000002-AddKittenColor\.ts\nApplied: no \(pending\)/);
    expect(show.stdout).toContain('    up():\n      ALTER TABLE "kittens" ADD "color" character varying(20);\n    down():\n      ALTER TABLE "kittens" DROP COLUMN "color";');
    const heads = await run('heads');
    expect({ code: heads.code, out: heads.stdout.trim() }).toEqual({ code: 0, out: 'CreateToys1700000000003 (head)' });
    const branches = await run('branches');
    expect({ code: branches.code, out: branches.stdout.trim() }).toEqual({ code: 0, out: 'no branches: every pending migration is newer than what is applied' });
  }, 60_000);

  it('an Alembic word with no equivalent names what to use; a typo names the closest command', async () => {
    const init = await run('init');
    expect({ code: init.code, err: init.stderr }).toEqual({ code: 2, err: expect.stringContaining('"init" is an Alembic command with no equivalent here: there is nothing to set up') });
    const typo = await run('upgrad');
    expect(typo.stderr).toContain('unknown command "upgrad": did you mean upgrade?');
  }, 30_000);

  it('without a database: history, heads, show and a FROM:TO --sql range from the files alone', async () => {
    const history = await migrate(['history', '--dir', dir.dir], unreachable).done;
    expect(history.code).toBe(0);
    expect(history.stderr).toContain('note: cannot connect to MIGRATION_DATABASE_URL');
    expect(history.stdout).toMatch(/^\(from the files alone: \[\?\] applied or not is not known without the database\)\n\[\?\] CreateToys1700000000003 \(head\)/);
    const heads = await migrate(['heads', '--offline', '--dir', dir.dir], unreachable).done;
    expect({ code: heads.code, out: heads.stdout.trim(), err: heads.stderr }).toEqual({ code: 0, out: 'CreateToys1700000000003 (head)', err: '' });
    const show = await migrate(['show', 'CreateToys', '--offline', '--dir', dir.dir], unreachable).done;
    expect(show.stdout).toContain('Applied: unknown (without the database)');
    const sql = await migrate(['up', 'base:head', '--sql', '--offline', '--dir', dir.dir], unreachable).done;
    expect(sql.code).toBe(0);
    expect(sql.stdout).toContain('CREATE TABLE IF NOT EXISTS "migrator"."migrations"');
    expect(sql.stdout).toContain('-- privileges: not included (offline');
    // status needs the database: exit 2, one line.
    const status = await migrate(['status', '--dir', dir.dir], unreachable).done;
    expect(status.code).toBe(2);
  }, 60_000);

  it('the SQL file is clean: --output FILE, and ./migrate > FILE, run by psql -v ON_ERROR_STOP=1; npm run without -s is not', async () => {
    const file = path.join(dir.dir, 'migration.sql');
    const written = await migrate(['up', '--sql', '--output', file, '--dir', dir.dir], env()).done;
    expect(written.code).toBe(0);
    expect(written.stdout).toBe('');
    expect(written.stderr).toContain(`wrote the SQL of 3 migration(s) to ${file}`);
    const script = readFileSync(file, 'utf8');
    expect(script.startsWith('-- the history tables, if missing')).toBe(true);

    const shim = spawnSync(path.join(ROOT, 'migrate'), ['up', '--sql', '--dir', dir.dir], { cwd: ROOT, env: { PATH: process.env.PATH, ...env(), TOKEN_SECRET: 'x'.repeat(40) }, encoding: 'utf8' });
    expect(shim.status).toBe(0);
    expect(shim.stdout).toBe(script);

    const npm = await start('npm', ['run', 'migrate', '--', 'up', '--sql', '--dir', dir.dir], env()).done;
    expect(npm.stdout.startsWith('\n> @cathouse/auth-service')).toBe(true); // npm's banner: why the docs use --output or ./migrate

    const psql = existsSync('/usr/bin/psql') ? '/usr/bin/psql' : '/usr/lib/postgresql/15/bin/psql';
    const applied = spawnSync(psql, ['-v', 'ON_ERROR_STOP=1', '-q', '-f', file, db.url], { encoding: 'utf8' });
    expect({ status: applied.status, stderr: applied.stderr }).toEqual({ status: 0, stderr: '' });
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      expect((await client.query('SELECT name FROM migrator.migrations ORDER BY id')).rows.map((r) => r.name)).toEqual([
        'CreateKittens1700000000001',
        'AddKittenColor1700000000002',
        'CreateToys1700000000003',
      ]);
    } finally {
      await client.end();
    }
  }, 90_000);

  it('stamp --sql prints the bookkeeping as a script and writes nothing', async () => {
    const r = await run('stamp', 'head-1', '--sql');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`INSERT INTO "migrator"."migrations" ("timestamp", "name") SELECT 1700000000002, 'AddKittenColor1700000000002' WHERE NOT EXISTS`);
    expect(r.stdout).toContain(`DELETE FROM "migrator"."migrations" WHERE "name" = 'CreateToys1700000000003';`);
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      expect((await client.query(`SELECT to_regclass('migrator.migrations') AS t`)).rows[0].t).toBeNull();
    } finally {
      await client.end();
    }
  }, 30_000);

  it('docs/migrations.md "Coming from Alembic" has a row for every command of the seed\'s guide, each mapped to commands this CLI has', () => {
    const docs = readFileSync(path.join(ROOT, 'docs/migrations.md'), 'utf8');
    const section = docs.slice(docs.indexOf('## Coming from Alembic'), docs.indexOf('## Deploy workflow'));
    // Every command the seed's guide (../shared/seed, the Python service's Alembic guide) tells its users to type.
    const seed = [
      'alembic revision --autogenerate -m',
      'alembic upgrade head',
      'alembic upgrade <revision_id>',
      'alembic upgrade +1',
      'alembic downgrade -1',
      'alembic downgrade <revision_id>',
      'alembic downgrade base',
      'alembic downgrade cd0f2927ee5e:base --sql',
      'alembic downgrade <current>:<previous> --sql',
      'alembic history --verbose',
      'alembic current',
      'alembic heads',
      'alembic stamp head',
      'alembic merge -m "merge heads" <head1> <head2>',
    ];
    const rows = section.split('\n').filter((l) => l.startsWith('| `alembic') || l.startsWith('| review') || l.startsWith('| test the') || l.startsWith('| apply'));
    for (const command of seed) expect({ command, row: rows.some((r) => r.split(' | ')[0]!.includes(command)) }).toEqual({ command, row: true });
    const words = new Set(COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]));
    const mapped = rows.flatMap((r) => [...(r.split(' | ')[1] ?? '').matchAll(/`\.\/migrate ([a-z-]+)/g)].map((m) => m[1]!));
    expect(mapped.length).toBeGreaterThan(15);
    expect(mapped.filter((w) => !words.has(w))).toEqual([]);
    for (const step of ['Generate locally', 'SQL preview', 'Test in a development branch', 'Apply to production']) expect(section).toContain(`*${step}*`);
  });
});
