import type { RunResult, StampResult } from '../../run-result';
import { ms } from './units';

/** Human-readable renderings of up, down (real or --sql) and stamp. */

export function formatRun(result: RunResult): string {
  if (result.dryRun) {
    const lines = [result.sql?.trimEnd() ?? ''];
    const readers = result.results.filter((r) => r.readsData && r.status !== 'unavailable').map((r) => r.name);
    const unavailable = result.results.filter((r) => r.status === 'unavailable');
    lines.push(`-- ${result.results.length - unavailable.length} migration(s) previewed (${result.direction}); nothing was changed`);
    for (const r of unavailable) lines.push(`-- NOT PREVIEWED: ${r.name}: ${r.reason} (the script stops there)`);
    if (readers.length) lines.push(`-- WARNING: ${readers.join(', ')} read(s) data or schema: the SQL above is what it did with empty answers, not necessarily what it will run`);
    return lines.join('\n');
  }
  const verb = result.direction === 'up' ? 'applied' : 'reverted';
  const lines: string[] = [];
  if (result.lockWaitedMs > 0) lines.push(`waited ${ms(result.lockWaitedMs)} for the migration lock`);
  if (result.adopted.length) lines.push(`adopted ${result.adopted.length} migration(s) applied before checksums: ${result.adopted.join(', ')}`);
  for (const r of result.results) {
    const status = r.status === 'done' ? verb.padEnd(8) : r.status === 'rolled-back' ? 'ROLLED BACK' : 'FAILED  ';
    lines.push(`${status} ${r.name}  ${ms(r.durationMs)}${r.transaction ? '' : '  (no transaction)'}`);
  }
  const done = result.results.filter((r) => r.status === 'done').length;
  if (result.results.some((r) => r.status === 'rolled-back')) lines.push(`the run was one transaction (--transaction all): nothing was ${verb}`);
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
  for (const n of result.checksummed) lines.push(`checksum recorded for ${n}`);
  if (result.kept.length) {
    lines.push(`kept ${result.kept.length} history row(s) of applied migrations no source defines: ${result.kept.join(', ')} (stamp --delete-missing deletes them)`);
  }
  lines.push(`current revision: ${result.current ?? '(base)'}; no SQL was run`);
  return lines.join('\n');
}
