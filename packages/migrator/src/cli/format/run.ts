import type { RunResult, StampResult } from '../../run-result';
import { ms } from './units';

/** Human-readable renderings of up, down (real or --sql) and stamp. */

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
