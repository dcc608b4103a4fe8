/**
 * One statement of a generated migration as TypeORM's schema builder writes it. Its own module
 * because the diff (schema-diff.ts) and the passes that clean its output (schema-noise.ts,
 * enum-defaults.ts) all speak it, and the passes must not depend on the diff that calls them.
 */
export interface DiffQuery {
  readonly query: string;
  readonly parameters?: readonly unknown[];
}
