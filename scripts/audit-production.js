#!/usr/bin/env node
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS entry point */
/**
 * CI's dependency check (issue 22): `npm audit --omit=dev --json` over the production dependencies.
 * Three outcomes, never a silent pass:
 * - checked, nothing known: prints so, exit 0;
 * - checked, known-vulnerable production dependencies: lists them, exit 1 (CI fails);
 * - not checked (the registry's advisory endpoint is unreachable or refuses the request, as npmjs's
 *   answers 405 from some networks): prints that it could not check and why, exit 3, which CI
 *   reports as a warning rather than a failure.
 */
const { spawnSync } = require('node:child_process');

/**
 * Judges `npm audit --json` output. Returns { outcome: 'clean' | 'vulnerable' | 'unchecked', lines }.
 * Anything that is not a report with counts is 'unchecked': an unreadable answer is no pass.
 */
function judgeAudit(stdout) {
  let report;
  try {
    report = JSON.parse(stdout);
  } catch {
    return { outcome: 'unchecked', lines: ['dependency audit: could not check (npm audit gave no JSON report)'] };
  }
  const counts = report && report.metadata && report.metadata.vulnerabilities;
  if (!counts || typeof counts.total !== 'number' || report.error || report.statusCode) {
    const why = (report && (report.message || (report.error && (report.error.summary || report.error.code)))) || 'no vulnerability counts in the answer';
    return { outcome: 'unchecked', lines: [`dependency audit: could not check the production dependencies: ${why}`] };
  }
  if (counts.total === 0) return { outcome: 'clean', lines: ['dependency audit: no known vulnerability in the production dependencies'] };
  const lines = [`dependency audit: ${counts.total} known-vulnerable production dependenc${counts.total === 1 ? 'y' : 'ies'}:`];
  for (const [name, v] of Object.entries(report.vulnerabilities || {})) {
    const via = (v.via || []).map((x) => (typeof x === 'string' ? x : x.title || x.url)).filter(Boolean).join('; ');
    lines.push(`  ${name} ${v.range || ''} (${v.severity})${via ? `: ${via}` : ''}${v.fixAvailable ? ' - a fix is available (npm audit fix)' : ''}`);
  }
  return { outcome: 'vulnerable', lines };
}

const EXIT = { clean: 0, vulnerable: 1, unchecked: 3 };

if (require.main === module) {
  const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', cwd: require('node:path').resolve(__dirname, '..'), timeout: 120_000 });
  const { outcome, lines } = run.error
    ? { outcome: 'unchecked', lines: [`dependency audit: could not check: ${run.error.message}`] }
    : judgeAudit(run.stdout);
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exit(EXIT[outcome]);
}

module.exports = { judgeAudit, EXIT };
