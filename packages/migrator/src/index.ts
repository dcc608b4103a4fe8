/**
 * @cathouse/migrator: what TypeORM's migration runner lacks, for any TypeORM project on
 * PostgreSQL: one writer at a time (an advisory lock), checksums, history checks, a SQL preview,
 * a lint of unsafe DDL, generation without false diffs, and rehearsal on a scratch database.
 * Verbs return results; nothing here prints or exits. The read-only half (status, history) is
 * also exported from `@cathouse/migrator/read`, which does not load TypeORM.
 */
export { Migrator, type MigratorOptions, type MigratorEvent, type RunResult, type MigrationOutcome, type UpOptions, type DownOptions, type StampResult, type Direction } from './migrator';
export { MigrationDataSource, type MigrationSettings, type PostgresOptions } from './migration-data-source';
export * from './read';
export { checkDatabase, type CheckReport } from './check';
export { createMigration, type CreatedMigration } from './create';
export { generateMigration, type GeneratedMigration } from './generate';
export type { GenerateOptions } from './generate';
export { lintMigrations, lintMigration, loadFindings, type LintReport, type LintFinding } from './lint/lint';
export { RULES, type RuleId, type Severity } from './lint/rules';
export { readLintConfig, parseLintConfig, severityOf, type LintConfig, type SeveritySetting } from './lint/config';
export { rehearse, onDatabase, type RehearsalReport, type RehearsalOptions } from './rehearsal';
export { diffSchema, type SchemaDiff, type EntityGroups } from './schema-diff';
export { rebaseMigration, type RebasedMigration } from './rebase';
export { previewRangeOffline, migrationStatements, stampScript, type OfflinePreview } from './offline';
export { mergeMigrations, type MergeMigration } from './merge-migration';
export { createNeonBranch, rehearseOnNeonBranch, NEON_API_URL, type NeonBranch, type NeonSettings, type NeonTarget, type NeonRehearsalReport } from './rehearsal';
