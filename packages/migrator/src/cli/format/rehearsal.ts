import type { NeonRehearsalReport, RehearsalReport } from '../../rehearsal';
import { ms } from './units';

/** The rehearsal's report: each step, its locks and the values it destroyed. */
export function formatRehearsal(r: RehearsalReport | NeonRehearsalReport): string {
  const neon = 'neon' in r ? r.neon : undefined;
  const where = neon
    ? `Neon branch ${neon.branchName} (${neon.branchId})${neon.parentId ? ` of ${neon.parentId}` : ''}, database ${r.scratchDatabase}`
    : r.mode === 'on'
      ? `database ${r.scratchDatabase} (given with --on)`
      : `scratch database ${r.scratchDatabase}`;
  const lines = [r.mode === 'on' ? where : `${where}: replayed ${r.replayed.length} applied migration(s)`];
  if (r.extensions.length) lines.push(`created the real database's extension(s) first: ${r.extensions.map((e) => `${e.name} ${e.version} (schema ${e.schema})`).join(', ')}`);
  if (r.mode === 'data') {
    const rows = r.copied.reduce((n, c) => n + c.copied, 0);
    lines.push(`copied ${rows} row(s) of ${r.copied.length} table(s) from a consistent snapshot`);
    for (const c of r.copied.filter((t) => t.sampled)) lines.push(`  sampled ${c.table}: ${c.copied} of ${c.rows} rows (--max-rows-per-table): counts below are on the sample`);
  }
  for (const s of r.steps) {
    const slowest = s.statements.slowest[0];
    const timing = s.statements.count > 1 && slowest ? ` (${s.statements.count} statements, slowest ${ms(slowest.durationMs)}: ${slowest.sql.slice(0, 80)})` : '';
    lines.push(`${s.ok ? 'ok  ' : 'FAIL'} ${s.step.padEnd(8)} ${s.migration}  ${ms(s.durationMs)}${s.transaction ? '' : ' without a transaction'}${timing}`);
    if (s.error) lines.push(`     ${s.error}`);
    if (s.failure?.offendingRows !== undefined && s.failure.offendingRows !== null) {
      lines.push(`     offending rows: ${s.failure.offendingRows} (${s.failure.kind.replace('_', ' ')}${s.failure.table ? ` in ${s.failure.table}` : ''}${s.failure.column ? `.${s.failure.column}` : ''})`);
    }
    for (const l of s.exclusiveLocks) lines.push(`     ACCESS EXCLUSIVE ${l.relation} for ${ms(l.heldMs)} (from: ${l.statement.slice(0, 100)})`);
    const d = s.destroyed;
    for (const [t, n] of Object.entries(d.tables)) lines.push(`     DESTROYED ${n} row(s): table ${t} dropped`);
    for (const [c, n] of Object.entries(d.columns)) lines.push(`     DESTROYED ${n} value(s): column ${c} dropped`);
    for (const [c, n] of Object.entries(d.changed)) lines.push(`     CHANGED ${n} value(s): type of ${c} changed (not given back by casting back)`);
    for (const [c, n] of Object.entries(d.nulled)) lines.push(`     DESTROYED ${n} value(s): ${c} set to NULL (a column dropped and added back, or an UPDATE)`);
    for (const [t, n] of Object.entries(d.rows)) lines.push(`     DESTROYED ${n} row(s): deleted from ${t}`);
    for (const [c, n] of Object.entries(d.notRestored)) lines.push(`     DESTROYED ${n} value(s): ${c} overwritten by up() and not given back by down()`);
    for (const [c, n] of Object.entries(s.overwritten)) lines.push(`     overwrote ${n} value(s) of ${c} in place (an UPDATE)`);
    if (s.emptyDown) lines.push(`     down() is empty: nothing reverts what up() did`);
  }
  for (const [name, left] of Object.entries(r.downLeftovers)) {
    lines.push(`FAIL ${name}: down() did not restore the schema:`);
    for (const l of left) lines.push(`     ${l}`);
  }
  if (r.drift.length) {
    lines.push(`drift after all pending migrations (${r.compared}):`);
    for (const q of r.drift) lines.push(`    ${q}`);
  }
  if (!r.steps.length) lines.push('no pending migrations to rehearse');
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  // The lint's size hint beside what the statement cost on the copy: on an empty copy the time says nothing.
  for (const h of r.sizeHints) {
    const up = r.steps.find((s) => s.migration === h.migration && s.step === 'up');
    const copy = r.mode === 'scratch' ? 'the empty copy (--with-data or --neon times it with the data)' : r.sampled ? 'the sampled copy' : 'the copy';
    lines.push(`large table: ${h.migration}${h.line ? ` line ${h.line}` : ''}: ${h.detail}; the step took ${up ? ms(up.durationMs) : 'no time'} on ${copy}`);
    lines.push(`     ${h.fix}`);
  }
  // Never a bare "0 destroyed" while values changed: the changes in place are counted beside the losses.
  if (r.steps.length) {
    const sample = r.sampled ? ' (on the sample)' : '';
    lines.push(`values destroyed across the steps: ${r.destroyedTotal}${sample}${r.overwrittenTotal ? `; values changed in place by up(): ${r.overwrittenTotal}` : ''}`);
  }
  const pending = r.steps.length ? [...new Set(r.steps.map((s) => s.migration))] : [];
  const kept =
    r.leftApplied.length === pending.length
      ? 'with the pending migrations applied'
      : r.leftApplied.length
        ? `with ${r.leftApplied.join(', ')} applied; not applied there: ${pending.filter((p) => !r.leftApplied.includes(p)).join(', ')}`
        : 'with none of the pending migrations applied';
  const end = neon
    ? neon.deleted
      ? `Neon branch ${neon.branchName} deleted; the real database was not changed`
      : `Neon branch ${neon.branchName} kept (--keep), ${kept}: ${neon.uri} (delete it in the Neon Console when done)`
    : r.mode === 'on'
      ? `database ${r.scratchDatabase} kept, ${kept}`
      : `scratch database ${r.dropped ? 'dropped' : 'NOT dropped: drop it by hand'}; the real database was not changed`;
  lines.push(`${r.ok ? 'rehearsal passed' : 'rehearsal FAILED'} in ${ms(r.durationMs)}; ${end}`);
  return lines.join('\n');
}
