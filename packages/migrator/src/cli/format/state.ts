import type { MigrationState } from '../../migration-state';
import type { BrokenFile } from '../commands/read-state';
import type { PrivilegeReport } from '../../privileges/apply';
import { ms, rel, type Words } from './units';

/** Human-readable renderings of status and history; `--json` prints the results themselves. */

/** Privilege drift, missing roles and policy problems, each with the SQL that fixes it. */
export function formatPrivileges(p: PrivilegeReport | null | undefined, words: Words): string[] {
  if (!p) return [];
  const policy = words.policyName ? `the policy (${words.policyName})` : 'the policy';
  if (p.ok) return [`privileges: as ${policy} says`];
  const lines = [`privileges: the database differs from ${policy}; ${words.invocation} up applies it:`];
  for (const m of p.missingRoles) lines.push(`  missing role: ${m.message}`);
  for (const problem of p.policyProblems) lines.push(`  policy: ${problem}`);
  for (const d of p.drift) lines.push(`  ${d.kind}: ${d.message}`, `      fix: ${d.sql};`);
  return lines;
}

/** The pending line: "at head" only when the current revision is the head of these files. */
function pendingLine(state: MigrationState): string {
  if (state.pending.length) return `pending: ${state.pending.length}`;
  if (state.current === state.head) return state.head ? 'pending: none, the database is at head' : 'pending: none (no migrations)';
  return `pending: none, but the database is not at this build's head: ${state.current ?? '(base)'} is applied and no file defines it (see problems)`;
}

export function formatStatus(state: MigrationState, privileges: PrivilegeReport | null | undefined, words: Words, broken: readonly BrokenFile[] = []): string {
  const lines = [`current: ${state.current ?? '(base: nothing applied)'}`, `head:    ${state.head ?? '(no migrations)'}`, pendingLine(state)];
  for (const name of state.pending) {
    const m = state.migrations.find((e) => e.name === name)!;
    lines.push(`  [ ] ${name}${m.outOfOrder ? '  (out of order)' : ''}`);
  }
  const unrecorded = state.migrations.filter((m) => m.checksum === 'unrecorded');
  if (unrecorded.length) lines.push(`${unrecorded.length} applied migration(s) have no checksum (applied by TypeORM itself, or before checksums); the next up or stamp records them`);
  const legacy = state.migrations.filter((m) => m.checksum === 'legacy');
  if (legacy.length) lines.push(`${legacy.length} applied migration(s) have a checksum of the file's text (an earlier version), which matches; the next up or stamp re-records it`);
  const problems = state.problems.length + broken.length;
  lines.push(problems ? `problems: ${problems}` : 'problems: none');
  for (const p of state.problems) lines.push(`  ${p.code}: ${p.message}`);
  for (const b of broken) lines.push(`  invalid_migration_file: pending ${b.migration} cannot be loaded, so up would fail on it: ${b.message}`);
  for (const n of state.notes) lines.push(`note: ${n}`);
  lines.push(...formatPrivileges(privileges, words));
  return lines.join('\n');
}

export function formatHistory(state: MigrationState, verbose: boolean, opts: { offline?: boolean; broken?: readonly BrokenFile[] } = {}): string {
  const lines: string[] = [];
  if (opts.offline) lines.push('(from the files alone: [?] applied or not is not known without the database)');
  for (const m of [...state.migrations].reverse()) {
    const mark = opts.offline ? '[?]' : m.applied ? (m.name === state.current ? '[x] (current)' : '[x]') : '[ ]';
    lines.push(`${mark} ${m.name}${m.name === state.head ? ' (head)' : ''}${m.outOfOrder ? ' (out of order)' : ''}`);
    if (!verbose) continue;
    lines.push(`      file:     ${rel(m.file)}`);
    if (m.applied) {
      lines.push(`      applied:  ${m.appliedAt ? m.appliedAt.toISOString() : '(before checksums)'} by ${m.appliedBy ?? '?'} via ${m.via ?? '?'} in ${ms(m.durationMs)}`);
    }
    lines.push(`      checksum: ${(m.fileChecksum ?? m.recordedChecksum ?? '-').slice(0, 16)} ${m.applied ? `(${m.checksum})` : ''}`.trimEnd());
  }
  for (const b of opts.broken ?? []) lines.push(`problem: pending ${b.migration} cannot be loaded, so up would fail on it: ${b.message}`);
  if (!state.migrations.length) lines.push('no migrations');
  return lines.join('\n');
}
