import path from 'node:path';
import type { MigrationState, PrivilegeReport, RunResult, StampResult } from '@cathouse/migrator';

/** Human-readable renderings of the migrator's results; `--json` prints the results themselves. */

const rel = (file: string | null) => (file ? path.relative(process.cwd(), file) || file : '(no file)');
export const ms = (n: number | null | undefined) => (n === null || n === undefined ? '-' : n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(2)} s`);

/** Privilege drift, missing roles and policy problems, each with the SQL that fixes it. */
export function formatPrivileges(p: PrivilegeReport | null | undefined): string[] {
  if (!p) return [];
  if (p.ok) return ['privileges: as the policy says (src/db/privileges.ts)'];
  const lines = ['privileges: the database differs from the policy (src/db/privileges.ts); npm run migrate -- up applies it:'];
  for (const m of p.missingRoles) lines.push(`  missing role: ${m.message}`);
  for (const problem of p.policyProblems) lines.push(`  policy: ${problem}`);
  for (const d of p.drift) lines.push(`  ${d.kind}: ${d.message}`, `      fix: ${d.sql};`);
  return lines;
}

export function formatStatus(state: MigrationState, privileges?: PrivilegeReport | null): string {
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
  if (unrecorded.length) lines.push(`${unrecorded.length} applied migration(s) predate checksums; the next up records them (adopted)`);
  lines.push(state.problems.length ? `problems: ${state.problems.length}` : 'problems: none');
  for (const p of state.problems) lines.push(`  ${p.code}: ${p.message}`);
  for (const n of state.notes) lines.push(`note: ${n}`);
  lines.push(...formatPrivileges(privileges));
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

export function formatRun(result: RunResult): string {
  if (result.dryRun) {
    const lines = [result.sql?.trimEnd() ?? ''];
    const readers = result.results.filter((r) => r.readsData).map((r) => r.name);
    lines.push(`-- ${result.results.length} migration(s) previewed (${result.direction}); nothing was changed`);
    if (readers.length) lines.push(`-- WARNING: ${readers.join(', ')} read(s) data or schema: the SQL above is what it did with empty answers, not necessarily what it will run`);
    return lines.join('\n');
  }
  const verb = result.direction === 'up' ? 'applied' : 'reverted';
  const lines: string[] = [];
  if (result.lockWaitedMs > 0) lines.push(`waited ${ms(result.lockWaitedMs)} for the migration lock`);
  if (result.adopted.length) lines.push(`adopted ${result.adopted.length} migration(s) applied before checksums: ${result.adopted.join(', ')}`);
  for (const r of result.results) {
    lines.push(`${r.status === 'done' ? verb.padEnd(8) : 'FAILED  '} ${r.name}  ${ms(r.durationMs)}${r.transaction ? '' : '  (no transaction)'}`);
  }
  const done = result.results.filter((r) => r.status === 'done').length;
  if (result.privileges) {
    const p = result.privileges;
    if (p.createdRoles.length) lines.push(`created role(s): ${p.createdRoles.join(', ')}`);
    lines.push(p.statements.length ? `privileges: ${p.statements.length} GRANT/REVOKE statement(s) brought the database to the policy` : 'privileges: already as the policy says');
    for (const d of p.drift) lines.push(`  ${d.sql};`);
  }
  if (result.error) lines.push(`error: ${result.error.message}`);
  lines.push(done || result.error ? `${done} migration(s) ${verb} in ${ms(result.durationMs)}` : `nothing to ${result.direction === 'up' ? 'apply' : 'revert'}`);
  return lines.join('\n');
}

export function formatStamp(result: StampResult): string {
  const lines = result.inserted.map((n) => `stamped  ${n}`).concat(result.deleted.map((n) => `unstamped ${n}`));
  lines.push(`current revision: ${result.current ?? '(base)'}; no SQL was run`);
  return lines.join('\n');
}
