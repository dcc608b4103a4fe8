import path from 'node:path';
import type { CheckReport, GeneratedMigration, LintReport, RehearsalReport } from '@cathouse/migrator';
import { formatPrivileges, ms } from './format';

const rel = (file: string) => path.relative(process.cwd(), file) || file;

export function formatLint(report: LintReport): string {
  const lines: string[] = [];
  for (const f of report.findings) {
    const where = `${rel(f.file)}${f.line ? `:${f.line}` : ''}`;
    const status = f.acknowledged ? `acknowledged (${f.acknowledged})` : f.severity;
    lines.push(`${where}: ${status} ${f.rule}: ${f.detail}`);
    if (f.acknowledged) continue;
    lines.push(`    why: ${f.why}`);
    lines.push(`    fix: ${f.fix}`);
    if (f.severity === 'error') lines.push(`    or, if it is safe here, add to the migration: // migration-lint-ack: ${f.rule} -- <reason>`);
  }
  for (const n of report.notes) lines.push(`note: ${n}`);
  lines.push(
    `${report.files.length} migration(s) linted: ${report.errors} error(s), ${report.warnings} warning(s), ${
      report.findings.filter((f) => f.acknowledged).length
    } acknowledged`,
  );
  return lines.join('\n');
}

export function formatGenerated(g: GeneratedMigration): string {
  return [
    `generated ${rel(g.file)} (${g.name}) with ${g.up.length} statement(s); ${g.compared}`,
    ...(g.removedNoise.length ? [`left out TypeORM's unchanged drop-and-re-create of ${g.removedNoise.join(', ')}`] : []),
    'review it, then preview (up --sql) and rehearse it',
    formatLint(g.lint),
  ].join('\n');
}

export function formatCheck(r: CheckReport): string {
  const lines = [`current: ${r.current ?? '(base)'}   head: ${r.head ?? '(none)'}`];
  if (r.pending.length) lines.push(`pending migrations (${r.pending.length}): ${r.pending.join(', ')}`);
  for (const p of r.problems) lines.push(`${p.code}: ${p.message}`);
  if (r.drift.length) {
    lines.push(`drift: the database differs from the entities (${r.compared}); to match them it would need:`);
    for (const q of r.drift) lines.push(`    ${q}`);
    lines.push(r.pending.length ? '  apply the pending migrations, then check again' : '  generate a migration for entity changes (generate NAME); a change made by hand must be undone or written as a migration');
  }
  if (r.privileges && !r.privileges.ok) lines.push(...formatPrivileges(r.privileges));
  lines.push(r.ok ? `ok: no pending migrations, no drift, history intact, privileges as the policy says (${r.compared})` : 'check failed');
  return lines.join('\n');
}

export function formatRehearsal(r: RehearsalReport): string {
  const where = r.mode === 'on' ? `database ${r.scratchDatabase} (given with --on)` : `scratch database ${r.scratchDatabase}`;
  const lines = [r.mode === 'on' ? where : `${where}: replayed ${r.replayed.length} applied migration(s)`];
  if (r.mode === 'data') {
    const rows = r.copied.reduce((n, c) => n + c.copied, 0);
    lines.push(`copied ${rows} row(s) of ${r.copied.length} table(s) from a consistent snapshot`);
    for (const c of r.copied.filter((t) => t.sampled)) lines.push(`  sampled ${c.table}: ${c.copied} of ${c.rows} rows (--max-rows-per-table): counts below are on the sample`);
  }
  for (const s of r.steps) {
    lines.push(`${s.ok ? 'ok  ' : 'FAIL'} ${s.step.padEnd(8)} ${s.migration}  ${ms(s.durationMs)}`);
    if (s.error) lines.push(`     ${s.error}`);
    if (s.failure?.offendingRows !== undefined && s.failure.offendingRows !== null) {
      lines.push(`     offending rows: ${s.failure.offendingRows} (${s.failure.kind.replace('_', ' ')}${s.failure.table ? ` in ${s.failure.table}` : ''}${s.failure.column ? `.${s.failure.column}` : ''})`);
    }
    for (const l of s.exclusiveLocks) lines.push(`     ACCESS EXCLUSIVE ${l.relation} for ${ms(l.heldMs)} (from: ${l.statement.slice(0, 100)})`);
    const d = s.destroyed;
    for (const [t, n] of Object.entries(d.tables)) lines.push(`     DESTROYED ${n} row(s): table ${t} dropped`);
    for (const [c, n] of Object.entries(d.columns)) lines.push(`     DESTROYED ${n} value(s): column ${c} dropped`);
    for (const [c, n] of Object.entries(d.changed)) lines.push(`     CHANGED ${n} value(s): type of ${c} changed (not given back by casting back)`);
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
  const destroyed = r.steps.reduce((n, s) => n + s.destroyed.total, 0);
  if (destroyed) lines.push(`values destroyed across the steps: ${destroyed}${r.sampled ? ' (on the sample)' : ''}`);
  const end =
    r.mode === 'on'
      ? `database ${r.scratchDatabase} kept, with the pending migrations applied`
      : `scratch database ${r.dropped ? 'dropped' : 'NOT dropped: drop it by hand'}; the real database was not changed`;
  lines.push(`${r.ok ? 'rehearsal passed' : 'rehearsal FAILED'} in ${ms(r.durationMs)}; ${end}`);
  return lines.join('\n');
}
