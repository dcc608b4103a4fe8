import type { CheckReport } from '../../check';
import { formatPrivileges } from './state';
import type { Words } from './units';

/** The CI gate's report. */
export function formatCheck(r: CheckReport, words: Words): string {
  const lines = [`current: ${r.current ?? '(base)'}   head: ${r.head ?? '(none)'}`];
  if (r.pending.length) lines.push(`pending migrations (${r.pending.length}): ${r.pending.join(', ')}`);
  for (const p of r.problems) lines.push(`${p.code}: ${p.message}`);
  if (r.drift.length) {
    lines.push(`drift: the database differs from the entities (${r.compared}); to match them it would need:`);
    for (const q of r.drift) lines.push(`    ${q}`);
    lines.push(r.pending.length ? '  apply the pending migrations, then check again' : '  generate a migration for entity changes (generate NAME); a change made by hand must be undone or written as a migration');
  }
  if (r.privileges && !r.privileges.ok) lines.push(...formatPrivileges(r.privileges, words));
  lines.push(r.ok ? `ok: no pending migrations, no drift, history intact, privileges as the policy says (${r.compared})` : 'check failed');
  return lines.join('\n');
}

