/**
 * The migration library of the shared Cat House database. Verbs return results; nothing here
 * prints or exits (src/cli does). Start from MigrationDataSource#migrator() in src/db.
 */
export { Migrator, type MigratorOptions, type MigratorEvent, type RunResult, type MigrationOutcome, type UpOptions, type DownOptions, type StampResult } from './migrator';
export { MigratorError, MIGRATOR_ERRORS, isMigratorError, type MigratorErrorCode } from './errors';
export { computeState, type MigrationState, type MigrationEntry, type Problem } from './migration-state';
export { readMigrationFiles, checksumOf, type MigrationFile } from './migration-files';
export { MIGRATION_LOCK_KEY, type SessionTimeouts } from './migration-lock';
export { CHECKSUMS_TABLE } from './history';
export { checkDatabase, type CheckReport } from './check';
export { createMigration, type CreatedMigration } from './create';
export { generateMigration, type GeneratedMigration } from './generate';
export { lintMigrations, lintMigration, type LintReport, type LintFinding } from './lint/lint';
export { RULES, type RuleId } from './lint/rules';
export { rehearse, type RehearsalReport } from './rehearsal';
export { diffSchema, type SchemaDiff } from './schema-diff';
