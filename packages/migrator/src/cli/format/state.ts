import type { MigrationState } from '../../migration-state';
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

export function formatStatus(state: MigrationState, privileges: PrivilegeReport | null | undefined, words: Words): string {
  const lines = [
    `current: ${state.current ?? '(base: nothing applied)'}`,
    `head:    ${state.head ?? '(no migrations)'}`,
    state.pending.length ? `pending: ${state.pending.length}` : 'pending: none, the database is at head',
  ];
  for (const name of state.pending) {
    const m = state.migrations.find((e) => e.name === name)!;
    lines.push(`  [ ] ${name}${m.outOfOrder ? '  (out of order)' : ''}`);
  }
  const unrecorded = state.migrations.filter((m) => m.checksum === 'unrecorded');
  if (unrecorded.length) lines.push(`${unrecorded.length} applied migration(s) have no checksum (applied by TypeORM itself, or before checksums); the next up or stamp records them`);
  const legacy = state.migrations.filter((m) => m.checksum === 'legacy');
  if (legacy.length) lines.push(`${legacy.length} applied migration(s) have a checksum of the file's text (an earlier version), which matches; the next up or stamp re-records it`);
  lines.push(state.problems.length ? `problems: ${state.problems.length}` : 'problems: none');
  for (const p of state.problems) lines.push(`  ${p.code}: ${p.message}`);
  for (const n of state.notes) lines.push(`note: ${n}`);
  lines.push(...formatPrivileges(privileges, words));
  return lines.join('\n');
}

export function formatHistory(state: MigrationState, verbose: boolean): string {
  const lines: string[] = [];
  for (const m of [...state.migrations].reverse()) {
    const mark = m.applied ? (m.name === state.current ? '[x] (current)' : '[x]') : '[ ]';
    lines.push(`${mark} ${m.name}${m.name === state.head ? ' (head)' : ''}${m.outOfOrder ? ' (out of order)' : ''}`);
    if (!verbose) continue;
    lines.push(`      file:     ${rel(m.file)}`);
    if (m.applied) {
      lines.push(`      applied:  ${m.appliedAt ? m.appliedAt.toISOString() : '(before checksums)'} by ${m.appliedBy ?? '?'} via ${m.via ?? '?'} in ${ms(m.durationMs)}`);
    }
    lines.push(`      checksum: ${(m.fileChecksum ?? m.recordedChecksum ?? '-').slice(0, 16)} ${m.applied ? `(${m.checksum})` : ''}`.trimEnd());
  }
  if (!lines.length) lines.push('no migrations');
  return lines.join('\n');
}
