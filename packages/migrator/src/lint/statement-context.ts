import type { RuleId } from './rules';

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
}

export interface RawFinding {
  readonly rule: RuleId;
  readonly detail: string;
}
