/**
 * Rules for migrations that lock or destroy, over PostgreSQL's own parse tree (libpg-query).
 * The set and the safe alternatives follow squawk (sbdchd/squawk, crates/squawk_linter/src/rules/);
 * like squawk, a table created earlier in the same migration is "new": nobody reads it yet, so
 * locking it is harmless.
 */

export type Severity = 'error' | 'warning';

export interface RuleInfo {
  readonly severity: Severity;
  /** What goes wrong on a live database. */
  readonly why: string;
  /** The safe alternative. */
  readonly fix: string;
}

export const RULES = {
  'adding-field-with-default': {
    severity: 'error',
    why: 'a volatile default (e.g. gen_random_uuid(), clock_timestamp()) makes ADD COLUMN rewrite the whole table under an ACCESS EXCLUSIVE lock',
    fix: 'add the column without a default (or with a constant one), set the default in a separate statement, and backfill existing rows in batches',
  },
  'adding-foreign-key-constraint': {
    severity: 'error',
    why: 'adding a foreign key scans the table while holding SHARE ROW EXCLUSIVE locks on both tables, blocking writes',
    fix: 'add it with NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in a later migration (validation takes a weaker lock)',
  },
  'adding-not-nullable-field': {
    severity: 'error',
    why: 'SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock',
    fix: 'add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it in a later migration, then SET NOT NULL (PostgreSQL 12+ uses the check, no scan) and drop the check',
  },
  'adding-required-field': {
    severity: 'error',
    why: 'a NOT NULL column without a default fails on a table that has rows, and breaks inserts of clients that do not know it',
    fix: 'add it nullable (or with a constant default), backfill, then enforce NOT NULL as adding-not-nullable-field describes',
  },
  'ban-drop-column': {
    severity: 'error',
    why: 'dropping a column loses its data, and running code that still selects it fails',
    fix: 'stop using the column in every service and deploy that first; drop it in a later migration, acknowledged',
  },
  'ban-drop-table': {
    severity: 'error',
    why: 'dropping a table loses its data, and running code that still uses it fails',
    fix: 'stop using the table in every service and deploy that first; drop it in a later migration, acknowledged',
  },
  'changing-column-type': {
    severity: 'error',
    why: 'changing a column type usually rewrites the table (and its indexes) under an ACCESS EXCLUSIVE lock, and may narrow or fail on existing data',
    fix: 'add a column of the new type, write both, backfill in batches, switch readers, then drop the old column',
  },
  'constraint-missing-not-valid': {
    severity: 'error',
    why: 'adding a CHECK constraint (or validating one in the same transaction that adds it) scans the table under an ACCESS EXCLUSIVE lock',
    fix: 'add it with NOT VALID, and VALIDATE CONSTRAINT in a separate migration',
  },
  'disallowed-unique-constraint': {
    severity: 'error',
    why: 'ADD CONSTRAINT ... UNIQUE builds its index while blocking reads and writes of the table',
    fix: 'CREATE UNIQUE INDEX CONCURRENTLY (in a migration with transaction = false), then ADD CONSTRAINT ... UNIQUE USING INDEX',
  },
  'renaming-column': {
    severity: 'error',
    why: 'renaming a column breaks every running client that still uses the old name',
    fix: 'add the new column, write both, backfill, switch readers, drop the old one (expand and contract)',
  },
  'renaming-table': {
    severity: 'error',
    why: 'renaming a table breaks every running client that still uses the old name',
    fix: 'create the new table (or a view with the old name), migrate readers and writers, then drop the old one',
  },
  'require-concurrent-index-creation': {
    severity: 'error',
    why: 'CREATE INDEX without CONCURRENTLY blocks writes to the table for the whole build',
    fix: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS, in a migration with transaction = false',
  },
  'require-concurrent-index-deletion': {
    severity: 'error',
    why: 'DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table',
    fix: 'DROP INDEX CONCURRENTLY IF EXISTS, in a migration with transaction = false',
  },
  'ban-concurrent-index-creation-in-transaction': {
    severity: 'error',
    why: 'CREATE/DROP INDEX CONCURRENTLY cannot run inside a transaction block: the migration fails',
    fix: 'put it in a migration of its own with `transaction = false`',
  },
  'prefer-robust-stmts': {
    severity: 'warning',
    why: 'a migration without a transaction that fails halfway leaves its first statements applied, and a retry then fails on them',
    fix: 'use IF NOT EXISTS / IF EXISTS so that the migration can be run again',
  },
  'ban-enum-value-removal': {
    severity: 'error',
    why: 'recreating an enum type (how TypeORM removes or reorders values) rewrites every column of that type under an ACCESS EXCLUSIVE lock and fails if a row holds a removed value',
    fix: 'only add values (ALTER TYPE ... ADD VALUE); to retire one, stop writing it, migrate the rows, and acknowledge the removal',
  },
  'ban-drop-type': {
    severity: 'warning',
    why: 'dropping a type fails while any column still uses it',
    fix: 'drop the columns that use it first, in an earlier deploy',
  },
  'transaction-nesting': {
    severity: 'error',
    why: 'TypeORM already runs the migration in a transaction: a COMMIT or BEGIN inside ends or nests it, so a later failure leaves the first half applied and the history wrong',
    fix: 'remove BEGIN/COMMIT/ROLLBACK; for statements that cannot run in a transaction use a migration of its own with transaction = false',
  },
  'ban-drop-not-null': {
    severity: 'error',
    why: 'dropping NOT NULL lets NULLs in that running readers (and other services) do not expect',
    fix: 'make every reader accept NULL and deploy that first, then drop the constraint, acknowledged',
  },
  'prefer-bigint-over-int': {
    severity: 'warning',
    why: 'a 32-bit integer key or counter runs out at 2^31, and widening it later rewrites the table under an ACCESS EXCLUSIVE lock',
    fix: 'use bigint (int8) for ids and counters (TypeORM: type: "bigint")',
  },
  'prefer-identity': {
    severity: 'warning',
    why: 'serial creates a sequence with its own owner and grants that dumps, copies and permission changes must handle separately',
    fix: 'use bigint GENERATED BY DEFAULT AS IDENTITY (TypeORM: @PrimaryGeneratedColumn("identity")), or a uuid default',
  },
  'prefer-timestamptz': {
    severity: 'warning',
    why: 'timestamp without time zone stores wall-clock time: values depend on the session TimeZone of whoever wrote them',
    fix: 'use timestamptz (TypeORM: type: "timestamptz")',
  },
  'prefer-text-field': {
    severity: 'warning',
    why: 'changing a varchar(n) length later takes an ACCESS EXCLUSIVE lock (and shortening it rewrites the table); the limit is rarely the right place for validation',
    fix: 'use text, with a CHECK (char_length(col) <= n) added NOT VALID if a limit is needed',
  },
  'ban-char-field': {
    severity: 'warning',
    why: 'char(n) pads values with spaces and is never faster than text in PostgreSQL',
    fix: 'use text (or varchar), with a CHECK constraint for a fixed length',
  },
  'adding-serial-primary-key-field': {
    severity: 'error',
    why: 'adding a serial/identity primary key column rewrites the table and builds its unique index under an ACCESS EXCLUSIVE lock',
    fix: 'add the column nullable, backfill in batches, CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... PRIMARY KEY USING INDEX',
  },
  'require-concurrent-reindex': {
    severity: 'error',
    why: 'REINDEX without CONCURRENTLY blocks writes to the table (and reads that use the index) for the whole rebuild',
    fix: 'REINDEX ... CONCURRENTLY, in a migration with transaction = false',
  },
  'prefer-repack': {
    severity: 'warning',
    why: 'VACUUM FULL and CLUSTER rewrite the table under an ACCESS EXCLUSIVE lock, blocking reads and writes',
    fix: 'use pg_repack (or REPACK (CONCURRENTLY) from PostgreSQL 19), outside migrations',
  },
  'identifier-too-long': {
    severity: 'error',
    why: 'PostgreSQL truncates names longer than 63 bytes without an error: the object gets another name than the one written, and TypeORM then sees a difference for ever',
    fix: 'shorten the name to at most 63 bytes (give TypeORM an explicit name for long index and constraint names)',
  },
  'large-table-in-transaction': {
    severity: 'warning',
    why: 'on a table the database says is large, an UPDATE, DELETE, index build or rewrite inside the migration\'s transaction holds its locks until the whole migration commits, and blocks or bloats for as long as it runs',
    fix: 'move it to a migration with transaction = false: CREATE INDEX CONCURRENTLY for an index; for an UPDATE or DELETE a loop of batches (e.g. 10,000 rows by key per statement), each committed on its own (docs/migrations.md, "Large tables: the size hint")',
  },
  'ban-truncate-cascade': {
    severity: 'error',
    why: 'TRUNCATE ... CASCADE also empties every table that references this one, recursively, including other services\' tables',
    fix: 'truncate the tables you mean explicitly, or delete the rows you mean',
  },
} as const satisfies Record<string, RuleInfo>;

export type RuleId = keyof typeof RULES;
