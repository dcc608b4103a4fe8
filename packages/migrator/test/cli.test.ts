import { writeFileSync } from 'node:fs';
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
});
