import type { RuleId, Severity } from './rules';
import type { TypeName } from './type-change';

// What the checks of one migration's statements share: what earlier statements did, and what they find.

export interface StatementContext {
  /** Tables created earlier in this migration (lower-cased names): no locking concern. */
  readonly newTables: Set<string>;
  /**
   * The statement runs inside a transaction: TypeORM's for the migration (unless `transaction =
   * false`), or one the migration opened itself; a COMMIT inside the migration ends it.
   */
  inTransaction: boolean;
  /** TypeORM wraps the whole migration in a transaction (`transaction` is not false). */
  readonly wrapped: boolean;
  /** Constraints added NOT VALID earlier in this migration's current transaction. */
  readonly notValidConstraints: Set<string>;
  /** CHECK (col IS NOT NULL) constraints seen added: constraint name → table.column. */
  readonly notNullChecks: Map<string, string>;
  /**
   * Tables with a constraint validated earlier in this migration, and the column its check is
   * known to cover (null: defined in an earlier migration, so not known here).
   */
  readonly validated: Map<string, Set<string | null>>;
  /** Enum types renamed earlier in this migration (old name → renamed-to). */
  readonly renamedTypes: Map<string, string>;
  /** Enum types created earlier in this migration (name → values). */
  readonly createdEnums: Map<string, readonly string[]>;
  /** Columns dropped earlier in this migration (`table.column`): added back, it is a type change. */
  readonly droppedColumns: Set<string>;
  /** What the migration's down() says the schema was before up() (its statements read offline). */
  readonly before: DownFacts;
}

/** Facts about the schema before a migration, read from the statements of its down(). */
export interface DownFacts {
  /** Enum types down() creates (to put back), by name without schema: their values. */
  readonly enums: ReadonlyMap<string, readonly string[]>;
  /** Column types down() puts back (`table.column`, lower-case, without schema). */
  readonly columnTypes: ReadonlyMap<string, TypeName>;
}

export interface RawFinding {
  readonly rule: RuleId;
  readonly detail: string;
  /**
   * What the finding is about, schema-qualified when the statement says the schema: a table
   * (`auth.users`), a column (`auth.users.display_name`), an index. An acknowledgement that names
   * an object covers only findings about it.
   */
  readonly objects?: readonly string[];
  /** A milder severity than the rule's, with the reason in the detail (never a harsher one). */
  readonly atMost?: Severity;
  /** A more precise safe alternative than the rule's general one. */
  readonly fix?: string;
  /** An earlier finding of the same migration this one replaces (same object), e.g. a drop that is half of a type change. */
  readonly supersedes?: RuleId;
}
