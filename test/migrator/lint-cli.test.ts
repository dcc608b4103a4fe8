import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { RULES, lintMigrations, readLintConfig } from '@cathouse/migrator';
import { MIGRATION_LINT_CONFIG } from '../../src/db/migration-paths';
import { ROOT, migrate } from './support/cli';
import { FIXTURES } from './support/fixtures';

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
});
