import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { Client } from 'pg';
import { dataSourceHost, runCli } from '../src/cli';
import { createDatabase, type TestDatabase } from './support/database';
import { migrationsDir, type MigrationsDir } from './support/fixtures';

/** The generic `migrator` CLI over a plain TypeORM DataSource file: no application, no Cat House. */
describe('migrator --data-source FILE', () => {
  let db: TestDatabase;
  let dir: MigrationsDir;
  let dataSourceFile: string;

  beforeEach(async () => {
    db = await createDatabase();
    dir = migrationsDir('basic');
    dataSourceFile = path.join(dir.dir, `data-source-${path.basename(dir.dir)}.js`);
    writeFileSync(
      dataSourceFile,
      `const { DataSource } = require('typeorm');\n` +
        `module.exports = { AppDataSource: new DataSource({ type: 'postgres', url: ${JSON.stringify(db.url)}, migrations: [${JSON.stringify(path.join(dir.dir, '*.ts'))}] }) };\n`,
    );
  });
  afterEach(async () => {
    await db.drop();
    dir.remove();
  });

  const run = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli([...args, '--data-source', dataSourceFile], dataSourceHost(), { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  };

  it("status, up and history work on the DataSource's own database, migrations and history table", async () => {
    const before = await run('status');
    expect(before).toMatchObject({ code: 0 });
    expect(before.stdout).toContain('pending: 3');
    expect(before.stdout).not.toContain('privileges');
    const up = await run('up');
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/3 migration\(s\) applied/);
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      // TypeORM's own table, where TypeORM keeps it: plain `typeorm migration:show` reads it.
      const { rows } = await client.query('SELECT name FROM public.migrations ORDER BY id');
      expect(rows.map((r) => r.name)).toEqual(['CreateKittens1700000000001', 'AddKittenColor1700000000002', 'CreateToys1700000000003']);
    } finally {
      await client.end();
    }
    const status = JSON.parse((await run('status', '--json')).stdout);
    expect(status).toMatchObject({ current: 'CreateToys1700000000003', pending: [], problems: [], privileges: null });
    expect((await run('history')).stdout).toMatch(/^\[x\] \(current\) CreateToys1700000000003 \(head\)$/m);
  });

  it('exits 2 with one line when the DataSource file is missing or exports no DataSource', async () => {
    const none = await runCli(['status'], dataSourceHost(), { out: () => undefined, err: (t) => expect(t).toMatch(/give your DataSource file: --data-source/) });
    expect(none).toBe(2);
    writeFileSync(dataSourceFile, 'module.exports = { notADataSource: 1 };\n');
    const empty = await run('status');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/must export exactly one DataSource instance .* it exports 0/);
  });

  it('up --sql shows every migration it can and marks the one it cannot, with the reason (D6)', async () => {
    dir.add('preview-reads');
    const r = await run('up', '--sql');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('ALTER TABLE "kittens" ADD "color" character varying(20);');
    expect(r.stdout).toMatch(/-- CountFirst1700000000009 \(up\): CANNOT BE PREVIEWED: its up\(\) failed on the empty answers of the preview .*; it reads the database \(SELECT count/);
    expect(r.stdout).toContain('-- 3 migration(s) previewed (up); nothing was changed');
  });

  it('the base:head script creates the history tables and runs on an empty database under psql -v ON_ERROR_STOP=1 (D6)', async () => {
    const script = await run('up', 'base:head', '--sql');
    expect(script.code).toBe(0);
    const file = path.join(dir.dir, 'script.sql');
    writeFileSync(file, script.stdout);
    await promisify(execFile)('/usr/bin/psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db.url, '-f', file]);
    const status = JSON.parse((await run('status', '--json')).stdout);
    expect(status).toMatchObject({ current: 'CreateToys1700000000003', pending: [], problems: [] });
    expect(status.migrations.map((m: { checksum: string }) => m.checksum)).toEqual(['ok', 'ok', 'ok']);
  });

  it('up --single-transaction (= --transaction all) leaves nothing applied when the last fails; a bad mode is one line, exit 2', async () => {
    dir.add('failing');
    const r = await run('up', '--single-transaction');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('the run was one transaction (--transaction all): nothing was applied');
    expect(JSON.parse((await run('status', '--json')).stdout).pending).toHaveLength(4);
    const bad = await run('up', '-t', 'sometimes');
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: --transaction takes all, each or none, got sometimes \(migrator --help\)$/) });
    expect((await run('status', '--transaction', 'all')).stderr).toContain('--transaction applies to up and down, not status');
  });

  it("names its own commands in its messages, not an application's (D10)", async () => {
    await run('up');
    const file = path.join(dir.dir, '1700000000003-CreateToys.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"toys"', '"playthings"'));
    const status = await run('status');
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('write the change as a new migration (migrator create NAME)');
    expect(status.stdout + status.stderr).not.toMatch(/npm run|MIGRATION_/);
  });
});
