import type { Migrator } from './migrator';
import type { PrivilegeReport } from './privileges/apply';
import type { Problem } from './migration-state';
import { diffSchema, type EntityGroups } from './schema-diff';

export interface CheckReport {
  readonly ok: boolean;
  readonly current: string | null;
  readonly head: string | null;
  readonly pending: readonly string[];
  readonly problems: readonly Problem[];
  /** Statements that would bring the database to the entities: changes not generated yet, or made by hand. */
  readonly drift: readonly string[];
  readonly compared: string;
  /** With a privilege policy: grants added by hand or missing, with the SQL that fixes them. */
  readonly privileges: PrivilegeReport | null;
}

/**
 * The CI gate: the database, the migrations and the entities agree. Read-only. Drift is the
 * schema builder's diff; with migrations pending it includes what they would change. With a
 * privilege policy, privileges that differ from it fail the check too.
 */
export async function checkDatabase(migrator: Migrator, opts: { entityGroups?: EntityGroups } = {}): Promise<CheckReport> {
  const state = await migrator.status();
  const diff = await diffSchema(migrator.dataSource, opts.entityGroups);
  const drift = diff.up.map((q) => q.query);
  const privileges = await migrator.privileges();
  return {
    ok: !state.pending.length && !state.problems.length && !drift.length && (privileges?.ok ?? true),
    privileges,
    current: state.current,
    head: state.head,
    pending: state.pending,
    problems: state.problems,
    drift,
    compared: diff.compared,
  };
}
