import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { RULES, lintMigrations, parseLintConfig, readLintConfig, type LintFinding, type RuleId } from '../src';
import { createDatabase } from './support/database';

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

  it('covers every rule (but the one that needs table sizes from a database, tested below)', () => {
    expect(cases.map(([rule]) => rule).sort()).toEqual(Object.keys(RULES).filter((r) => r !== 'large-table-in-transaction').sort());
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

describe('lint: precision on what generated migrations really do', () => {
  const file = (name: string) => path.join(FIXTURES, 'lint-precision', name);

  it('an enum recreated only to add values is not ban-enum-value-removal (down() says the values before), and says ADD VALUE would not rewrite', async () => {
    const findings = await lintFile(file('1700000700001-AddEnumValueByRecreation.ts'));
    expect(findings.map((f) => f.rule)).toEqual(['changing-column-type']);
    expect(findings[0]).toMatchObject({ severity: 'error', detail: expect.stringContaining(`recreated to add 'suspended'`), fix: expect.stringContaining('ADD VALUE') });
  });

  it('an enum recreated without a value is ban-enum-value-removal, naming the value', async () => {
    const findings = await lintFile(file('1700000700002-RemoveEnumValueKnown.ts'));
    expect(findings.find((f) => f.rule === 'ban-enum-value-removal')).toMatchObject({ severity: 'error', detail: expect.stringContaining(`removes 'suspended'`) });
  });

  it('a type change that rewrites nothing (longer varchar, varchar to text) is a warning with the reason; narrowing stays an error', async () => {
    const findings = (await lintFile(file('1700000700003-RelaxLengths.ts'))).filter((f) => f.rule === 'changing-column-type');
    expect(findings.map((f) => [f.objects[0], f.severity])).toEqual([
      ['cats.name', 'warning'],
      ['cats.description', 'warning'],
      ['cats.nickname', 'error'],
    ]);
    expect(findings[0]!.detail).toContain('varchar(100) to varchar(200) only relaxes a length limit: PostgreSQL changes the catalog, rewrites nothing');
  });

  it('a column dropped and added back is reported once, as the type change that empties it, with the in-place fix', async () => {
    const findings = await lintFile(file('1700000700004-DropAndAdd.ts'));
    expect(findings.map((f) => f.rule)).toEqual(['changing-column-type', 'prefer-text-field']);
    expect(findings[0]).toMatchObject({
      severity: 'error',
      objects: ['auth.users.display_name'],
      detail: 'users.display_name is dropped and added back as varchar(200): a type change that empties the column (every value is lost)',
      fix: expect.stringContaining('ALTER COLUMN "display_name" TYPE varchar(200) USING "display_name"::varchar(200)'),
    });
  });

  it('a file that does not compile is an error finding (exit 1 like any problem found), not a refusal to lint', async () => {
    const dir = mkdtempSync(path.join(__dirname, '../../../scratch/lint-broken-'));
    try {
      const broken = path.join(dir, '1700000900001-DoesNotCompile.ts');
      writeFileSync(broken, `export class DoesNotCompile1700000900001 {\n  async up(q: any) { await q.query(\`SELECT 1\`; }\n  async down() {}\n}\n`);
      const report = await lintMigrations({ migrationsDir: dir, files: [broken] });
      expect(report).toMatchObject({ errors: 1, findings: [{ rule: 'cannot-load', severity: 'error', detail: expect.stringContaining('cannot be loaded') }] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('lint: an acknowledgement covers the statement it precedes, or the object it names', () => {
  it('without an object: only the next statement, not a drop of the same rule in another schema', async () => {
    const findings = await lintFile(path.join(FIXTURES, 'lint-scope/1700000800001-TwoDrops.ts'));
    expect(findings.map((f) => [f.objects[0], f.acknowledged])).toEqual([
      ['auth.users.legacy', 'auth.users.legacy unused by every service since release 41'],
      ['catalog.cats.legacy', null],
    ]);
  });

  it('with an object: that object anywhere in the migration, nothing else', async () => {
    const report = await lintMigrations({ migrationsDir: FIXTURES, files: [path.join(FIXTURES, 'lint-scope/1700000800002-ObjectAck.ts')] });
    expect(report.findings.map((f) => [f.objects[0], f.acknowledged])).toEqual([
      ['auth.users.legacy', null],
      ['catalog.cats.legacy', 'the catalog service stopped reading it in release 41'],
    ]);
    expect(report.errors).toBe(1);
  });

  it('in the configuration, "rule object" covers that object only', async () => {
    const config = parseLintConfig({ acknowledge: { TwoDrops1700000800001: { 'ban-drop-column catalog.cats.legacy': 'dropped with the catalog v2 release' } } });
    const report = await lintMigrations({ migrationsDir: FIXTURES, files: [path.join(FIXTURES, 'lint-scope/1700000800001-TwoDrops.ts')], config });
    expect(report.findings.map((f) => f.acknowledged)).toEqual(['auth.users.legacy unused by every service since release 41', 'dropped with the catalog v2 release']);
    expect(() => parseLintConfig({ acknowledge: { X1700000000000: { 'ban-drop-colum auth.users.x': 'why' } } }, 'x.json')).toThrow(/"ban-drop-colum auth.users.x" is not "rule" or "rule object"/);
  });
});

describe('lint with a database: the size hint', () => {
  it('recommends batches outside a transaction for a table the database says is large, and only for it', async () => {
    const db = await createDatabase();
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(`CREATE TABLE cats (id integer PRIMARY KEY, name text); CREATE TABLE toys (id integer PRIMARY KEY, name text)`);
      await client.query(`INSERT INTO cats SELECT i, 'cat ' || i FROM generate_series(1, 3000) i; INSERT INTO toys VALUES (1, 'ball'); ANALYZE cats; ANALYZE toys`);
      const file = path.join(FIXTURES, 'lint-large/1700001000001-BackfillCats.ts');
      const config = parseLintConfig({ largeTable: { rows: 2000 } });
      const database = { query: async (sql: string, params?: unknown[]) => (await client.query(sql, params)).rows };
      const report = await lintMigrations({ migrationsDir: path.dirname(file), files: [file], config, database });
      expect(report.findings).toEqual([
        expect.objectContaining({
          rule: 'large-table-in-transaction',
          severity: 'warning',
          objects: ['cats'],
          detail: expect.stringMatching(/^cats holds about 3,000 rows, [\d.]+ MB with indexes \(the database's estimate\): an UPDATE in the migration's transaction/),
          fix: expect.stringContaining('transaction = false'),
        }),
      ]);
      // Without a database the lint works from the files alone: no size, no hint.
      expect((await lintMigrations({ migrationsDir: path.dirname(file), files: [file], config })).findings).toEqual([]);
    } finally {
      await client.end();
      await db.drop();
    }
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
