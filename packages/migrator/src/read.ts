/**
 * The read-only half of @cathouse/migrator, without TypeORM: the files compared with the applied
 * history over one plain pg connection. A CLI's `status` starts in a few hundred milliseconds
 * because it imports only this.
 */
export { MigratorError, MIGRATOR_ERRORS, isMigratorError, type MigratorErrorCode } from './errors';
export { computeState, readState, type MigrationState, type MigrationEntry, type Problem } from './migration-state';
export { readMigrationFiles, listMigrations, readMigrationFile, sourceFolder, folderGlob, type MigrationFile, type MigrationSource, type MigrationsOption } from './migration-files';
export { checksumOfLiterals, checksumOfClass, legacyChecksumOf } from './migration-checksum';
export { DEFAULT_MIGRATION_LOCK, type MigrationLockKey, type SessionTimeouts } from './migration-lock';
export { CHECKSUMS_TABLE, DEFAULT_HISTORY, type HistoryLocation, type Queryable } from './history';
export { openReadConnection, sessionStartupOptions, connectionError, DEFAULT_APPLICATION_NAME, type ReadConnection, type ReadConnectionOptions } from './connection';
export { assertDirectEndpoint } from './pooler';
export { readPrivileges, type PrivilegeReport, type PrivilegeResult } from './privileges/apply';
export { definePrivilegePolicy, validatePrivilegeSettings, TABLE_PRIVILEGES, type PrivilegePolicy, type PrivilegeSettings, type PolicyRole, type RoleGrants, type TableGrant, type TablePrivilege, type ColumnSet } from './privileges/policy';
export { type PrivilegeDrift, type MissingRole } from './privileges/plan';
