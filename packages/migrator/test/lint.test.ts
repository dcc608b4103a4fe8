import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { RULES, lintMigrations, parseLintConfig, readLintConfig, type LintFinding, type RuleId } from '../src';

const FIXTURES = path.resolve(__dirname, 'fixtures');
const filesOf = (set: string) => readdirSync(path.join(FIXTURES, set)).map((f) => path.join(FIXTURES, set, f));
const lintFile = async (file: string) => (await lintMigrations({ migrationsDir: path.dirname(file), files: [file] })).findings;
const open = (findings: readonly LintFinding[]) => findings.filter((f) => !f.acknowledged);

describe('lint: one real migration file per rule', () => {
  // Each fixture in fixtures/lint/ is a migration that breaks exactly the rule its comment names.
  const cases = filesOf('lint').map((file) => {
    const rule = /triggers ([a-z-]+)/.exec(readFileSync(file, 'utf8'))![1] as RuleId;
    return [rule, file] as const;
  });

  it('covers every rule', () => {
    expect(cases.map(([rule]) => rule).sort()).toEqual(Object.keys(RULES).sort());
  });

  it.each(cases)('%s is reported with its severity, the file and line, and the safe alternative', async (rule, file) => {
    const findings = await lintFile(file);
    const finding = findings.find((f) => f.rule === rule);
    expect(finding).toMatchObject({
      severity: RULES[rule].severity,
      file,
      fix: RULES[rule].fix,
      acknowledged: null,
    });
    expect(finding!.line).toBeGreaterThan(1);
    expect(finding!.statement.length).toBeGreaterThan(0);
  });

  it('reports a volatile default but not the enum recreation statements as anything else than enum value removal', async () => {
    const enumFindings = await lintFile(cases.find(([r]) => r === 'ban-enum-value-removal')![1]);
    expect(enumFindings.map((f) => f.rule)).toEqual(['changing-column-type', 'ban-enum-value-removal']);
    expect(enumFindings[1]!.detail).toContain('cat_status');
  });
});

describe('lint: what it does not flag', () => {
  it('passes the safe forms: new tables, nullable or constant-default columns, NOT VALID, validation later, concurrent indexes', async () => {
    const report = await lintMigrations({ migrationsDir: path.join(FIXTURES, 'lint-safe'), files: filesOf('lint-safe') });
    expect(report.findings).toEqual([]);
    expect(report.errors).toBe(0);
  });
});

describe('lint: acknowledgements', () => {
  it('accepts an error acknowledged in the migration with a reason', async () => {
    const findings = await lintFile(path.join(FIXTURES, 'lint-ack/1700000300001-DropLegacyColumn.ts'));
    expect(findings).toEqual([
      expect.objectContaining({ rule: 'ban-drop-column', acknowledged: 'description has been unused by every service since release 41' }),
    ]);
  });

  it('does not accept an acknowledgement without a reason', async () => {
    const findings = await lintFile(path.join(FIXTURES, 'lint-ack/1700000300002-AckWithoutReason.ts'));
    expect(open(findings).map((f) => f.rule).sort()).toEqual(['ack-without-reason', 'ban-drop-table']);
  });

  it('says when a migration cannot be linted without a database (schema API), as a warning', async () => {
    const findings = await lintFile(path.join(FIXTURES, 'lint-ack/1700000300003-SchemaApi.ts'));
    expect(findings).toEqual([expect.objectContaining({ rule: 'cannot-lint', severity: 'warning' })]);
  });
});

describe('lint: the gaps closed', () => {
  it.each(filesOf('lint-gaps').map((file) => [/triggers ([a-z-]+)/.exec(readFileSync(file, 'utf8'))![1]!, path.basename(file), file]))(
    '%s in %s',
    async (rule, _name, file) => {
      expect(open(await lintFile(file)).map((f) => f.rule)).toContain(rule);
    },
  );

  it('lints each statement of a query() string that holds several', async () => {
    const [finding] = await lintFile(path.join(FIXTURES, 'lint-gaps/1700000500001-SelectThenDropColumn.ts'));
    expect(finding).toMatchObject({ rule: 'ban-drop-column', detail: 'cats.legacy dropped' });
  });
});

describe('lint: one configuration sets each rule\'s severity', () => {
  const dropColumn = path.join(FIXTURES, 'lint/1700000100004-DropColumn.ts');
  const varchar = path.join(FIXTURES, 'lint/1700000100021-VarcharLength.ts');

  it('turns a rule off, or an error into a warning and a warning into an error', async () => {
    const config = parseLintConfig({ rules: { 'ban-drop-column': 'off', 'prefer-text-field': 'error' } });
    const off = await lintMigrations({ migrationsDir: FIXTURES, files: [dropColumn], config });
    expect(off.findings).toEqual([]);
    const raised = await lintMigrations({ migrationsDir: FIXTURES, files: [varchar], config });
    expect(raised).toMatchObject({ errors: 1, warnings: 0, findings: [{ rule: 'prefer-text-field', severity: 'error' }] });
    const lowered = await lintMigrations({ migrationsDir: FIXTURES, files: [dropColumn], config: parseLintConfig({ rules: { 'ban-drop-column': 'warning' } }) });
    expect(lowered).toMatchObject({ errors: 0, warnings: 1 });
  });

  it('acknowledges a finding of a migration that can no longer be edited, with a reason, from the configuration', async () => {
    const config = parseLintConfig({ acknowledge: { DropColumn1700000100004: { 'ban-drop-column': 'unused since release 41' } } });
    const report = await lintMigrations({ migrationsDir: FIXTURES, files: [dropColumn], config });
    expect(report).toMatchObject({ errors: 0, findings: [{ rule: 'ban-drop-column', acknowledged: 'unused since release 41' }] });
    expect(() => parseLintConfig({ acknowledge: { DropColumn1700000100004: { 'ban-drop-column': ' ' } } }, 'x.json')).toThrow(/needs a reason/);
  });

  it('refuses an unknown rule or severity, naming it and what is allowed', () => {
    expect(() => parseLintConfig({ rules: { 'ban-drop-colum': 'off' } }, 'x.json')).toThrow(/x\.json: unknown rule "ban-drop-colum"; known rules: adding-field-with-default/);
    expect(() => parseLintConfig({ rules: { 'ban-drop-column': 'warn' } }, 'x.json')).toThrow(/rule "ban-drop-column" is set to "warn"; use "error", "warning" or "off"/);
    expect(() => readLintConfig(path.join(FIXTURES, 'no-such-config.json'))).toThrow(/cannot be read/);
  });
});
