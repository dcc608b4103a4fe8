import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { RULES, lintMigrations, readLintConfig } from '@cathouse/migrator';
import { MIGRATION_LINT_CONFIG } from '../../src/db/migration-paths';
import { createTestDatabase } from '../support/database';
import { ROOT, migrate } from './support/cli';
import { FIXTURES, migrationsDir } from './support/fixtures';

describe('lint on Cat House', () => {
  it('has one configuration that sets every rule, and the docs list every rule with why and the safe alternative', () => {
    const config = readLintConfig(MIGRATION_LINT_CONFIG);
    expect(Object.keys(config.rules ?? {}).sort()).toEqual(Object.keys(RULES).sort());
    const docs = readFileSync(path.join(ROOT, 'docs/migrations.md'), 'utf8');
    for (const [rule, info] of Object.entries(RULES)) {
      expect(docs).toContain(`| ${rule} | ${info.severity} | ${info.why.replace(/\|/g, '\\|')} | ${info.fix.replace(/\|/g, '\\|')} |`);
    }
  });

  it("passes this project's own migrations", async () => {
    const dir = path.join(ROOT, 'src/migrations');
    const report = await lintMigrations({ migrationsDir: dir, config: readLintConfig(MIGRATION_LINT_CONFIG) });
    expect(report.files).toHaveLength(readdirSync(dir).filter((f) => /^\d{13}-.*\.ts$/.test(f)).length);
    expect(report.findings.filter((f) => !f.acknowledged && f.severity === 'error')).toEqual([]);
  });

  it('`lint FILE` exits 1 on an unacknowledged error, 0 on an acknowledged one, and prints the way out', async () => {
    const bad = await migrate(['lint', path.join(FIXTURES, 'lint/1700000100004-DropColumn.ts')], {}).done;
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/1700000100004-DropColumn\.ts:\d+: error ban-drop-column: cats\.description dropped/);
    expect(bad.stdout).toContain('fix: stop using the column');
    expect(bad.stdout).toContain('// migration-lint-ack: ban-drop-column -- <reason>');
    const acked = await migrate(['lint', path.join(FIXTURES, 'lint-ack/1700000300001-DropLegacyColumn.ts')], {}).done;
    expect(acked.code).toBe(0);
    expect(acked.stdout).toContain('acknowledged (description has been unused');
    const json = await migrate(['lint', '--json', path.join(FIXTURES, 'lint/1700000100010-RenameTable.ts')], {}).done;
    expect(JSON.parse(json.stdout)).toMatchObject({ errors: 1, findings: [{ rule: 'renaming-table' }] });
    // Three CLI starts: on a loaded two-core machine each can take several seconds.
  }, 90_000);

  it('`up` refuses an unacknowledged error-level finding in a migration it would apply to a database with migrations applied; an acknowledgement or --allow-lint-errors lets it through (issue 24 item 1)', async () => {
    const db = await createTestDatabase({ migrated: false });
    const dir = migrationsDir('basic');
    try {
      const drop = (ack: string) =>
        writeFileSync(
          path.join(dir.dir, '1700000000004-DropKittenColor.ts'),
          `export class DropKittenColor1700000000004 {\n  async up(q: any) {\n${ack}    await q.query(\`ALTER TABLE "kittens" DROP COLUMN "color"\`);\n  }\n  async down(q: any) {\n    await q.query(\`ALTER TABLE "kittens" ADD "color" character varying(20)\`);\n  }\n}\n`,
        );
      drop('');
      const run = (...args: string[]) => migrate([...args, '--dir', dir.dir], { MIGRATION_DATABASE_URL: db.url }).done;
      const applied = async () => {
        const client = new Client({ connectionString: db.url });
        await client.connect();
        try {
          if ((await client.query(`SELECT to_regclass('migrator.migrations') AS t`)).rows[0].t === null) return [];
          return (await client.query('SELECT name FROM migrator.migrations ORDER BY id')).rows.map((r: { name: string }) => r.name);
        } finally {
          await client.end();
        }
      };
      // Only what this run applies is linted: the three clean migrations go through.
      expect((await run('up', 'CreateToys')).code).toBe(0);
      const refused = await run('up');
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim().split('\n').at(-1)).toMatch(/^error: refusing to apply: 1 unacknowledged error-level lint finding\(s\) in DropKittenColor1700000000004, first ban-drop-column: .*up --allow-lint-errors$/);
      expect(await applied()).toEqual(['CreateKittens1700000000001', 'AddKittenColor1700000000002', 'CreateToys1700000000003']);
      drop('    // migration-lint-ack: ban-drop-column kittens.color -- nothing reads the colour since the toy release\n');
      expect((await run('up', '--sql')).code).toBe(0);
      expect((await run('up')).code).toBe(0);
      expect(await applied()).toEqual(['CreateKittens1700000000001', 'AddKittenColor1700000000002', 'CreateToys1700000000003', 'DropKittenColor1700000000004']);
      expect((await run('down')).code).toBe(0);
      drop('');
      expect((await run('up', '--allow-lint-errors')).code).toBe(0);
      // A database with nothing applied has nothing to lose or block: the whole history applies.
      expect((await run('down', 'base')).code).toBe(0);
      expect((await run('up')).code).toBe(0);
      expect(await applied()).toHaveLength(4);
    } finally {
      await db.drop();
      dir.remove();
    }
  }, 90_000);

  it('`up` on a database with nothing applied applies a history with lint errors, but still refuses a migration that cannot be loaded, before writing anything', async () => {
    const db = await createTestDatabase({ migrated: false });
    const dir = migrationsDir('basic');
    try {
      const run = (...args: string[]) => migrate([...args, '--dir', dir.dir], { MIGRATION_DATABASE_URL: db.url }).done;
      const history = async () => {
        const client = new Client({ connectionString: db.url });
        await client.connect();
        try {
          if ((await client.query(`SELECT to_regclass('migrator.migrations') AS t`)).rows[0].t === null) return null;
          return (await client.query(`SELECT m."timestamp", m.name, c.checksum FROM migrator.migrations m LEFT JOIN migrator.migration_checksums c USING (name) ORDER BY m.id`)).rows;
        } finally {
          await client.end();
        }
      };
      const broken = path.join(dir.dir, '1700000000005-Broken.ts');
      writeFileSync(
        broken,
        `import './no-such-module';\n\nexport class Broken1700000000005 {\n  async up(q: any) {\n    await q.query(\`SELECT 1\`);\n  }\n  async down() {}\n}\n`,
      );
      // An error-level finding (ban-drop-column) that only a database with history would refuse.
      writeFileSync(
        path.join(dir.dir, '1700000000004-DropKittenColor.ts'),
        `export class DropKittenColor1700000000004 {\n  async up(q: any) {\n    await q.query(\`ALTER TABLE "kittens" DROP COLUMN "color"\`);\n  }\n  async down(q: any) {\n    await q.query(\`ALTER TABLE "kittens" ADD "color" character varying(20)\`);\n  }\n}\n`,
      );
      const refused = await run('up');
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim().split('\n').at(-1)).toMatch(
        /^error: refusing to apply: 1 unacknowledged error-level lint finding\(s\) in Broken1700000000005, first cannot-load: .*cannot be loaded.*up --allow-lint-errors$/,
      );
      expect(await history()).toBeNull();

      rmSync(broken);
      expect((await run('up')).code).toBe(0);
      const rows = await history();
      expect(rows!.map((r: { timestamp: string; name: string }) => [Number(r.timestamp), r.name])).toEqual([
        [1700000000001, 'CreateKittens1700000000001'],
        [1700000000002, 'AddKittenColor1700000000002'],
        [1700000000003, 'CreateToys1700000000003'],
        [1700000000004, 'DropKittenColor1700000000004'],
      ]);
      for (const r of rows!) expect(r.checksum).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await db.drop();
      dir.remove();
    }
  }, 90_000);
});
