import type { GeneratedMigration } from '../../generate';
import type { LintReport } from '../../lint/lint';
import { rel } from './units';

/** The lint report and the report of generate (the new file, then its lint). */

export function formatLint(report: LintReport): string {
  const lines: string[] = [];
  for (const f of report.findings) {
    const where = `${rel(f.file)}${f.line ? `:${f.line}` : ''}`;
    const status = f.acknowledged ? `acknowledged (${f.acknowledged})` : f.severity;
    lines.push(`${where}: ${status} ${f.rule}: ${f.detail}`);
    if (f.acknowledged) continue;
    lines.push(`    why: ${f.why}`);
    lines.push(`    fix: ${f.fix}`);
    if (f.severity === 'error') {
      const object = f.objects[0] ? ` ${f.objects[0]}` : '';
      lines.push(`    or, if it is safe here, add above that statement: // migration-lint-ack: ${f.rule} -- <reason> (or name the object anywhere in the file: // migration-lint-ack: ${f.rule}${object} -- <reason>)`);
    }
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

