import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { judgeAudit } = require('../../scripts/audit-production.js') as { judgeAudit: (stdout: string) => { outcome: string; lines: string[] } };

/** What npm audit --json printed here: npmjs's advisory endpoint refuses the bulk request. */
const REFUSED = JSON.stringify({
  message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
  statusCode: 405,
  body: '',
  error: { summary: '', detail: '' },
});
const CLEAN = JSON.stringify({ auditReportVersion: 2, vulnerabilities: {}, metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, total: 0 } } });
const VULNERABLE = JSON.stringify({
  auditReportVersion: 2,
  vulnerabilities: {
    nodemailer: { name: 'nodemailer', severity: 'moderate', range: '<9.1.1', via: [{ title: 'an advisory against nodemailer', url: 'https://github.com/advisories/GHSA-0000-0000-0000' }], fixAvailable: true },
  },
  metadata: { vulnerabilities: { info: 0, low: 0, moderate: 1, high: 0, critical: 0, total: 1 } },
});

/**
 * Issue 22, Dependencies: CI fails on a known-vulnerable production dependency where the registry
 * allows the check, and otherwise says it could not check, never passing silently and never failing
 * only because the advisory endpoint is unreachable.
 */
describe('the dependency audit of CI (scripts/audit-production.js)', () => {
  it.each([
    ['a report with no vulnerability', CLEAN, 'clean', /no known vulnerability/],
    ['a report with one', VULNERABLE, 'vulnerable', /1 known-vulnerable production dependency/],
    ['the registry refusing the request (405)', REFUSED, 'unchecked', /could not check the production dependencies: 405 Method Not Allowed/],
    ['no JSON at all', 'npm ERR! network', 'unchecked', /could not check \(npm audit gave no JSON report\)/],
    ['JSON without counts', '{}', 'unchecked', /could not check/],
  ])('judges %s', (_what, stdout, outcome, line) => {
    const judged = judgeAudit(stdout);
    expect(judged.outcome).toBe(outcome);
    expect(judged.lines.join('\n')).toMatch(line);
  });

  describe('as CI runs it (npm replaced by a stand-in that prints a given answer)', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'cathouse-audit-'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    const runWith = async (answer: string, exitCode: number) => {
      await writeFile(path.join(dir, 'answer.json'), answer);
      await writeFile(path.join(dir, 'npm'), `#!/bin/sh\ncat "${path.join(dir, 'answer.json')}"\nexit ${exitCode}\n`);
      await chmod(path.join(dir, 'npm'), 0o755);
      return spawnSync(process.execPath, [path.join(ROOT, 'scripts/audit-production.js')], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
    };

    it('exit 0 when clean, 1 (CI fails) when vulnerable, 3 (a warning, said out loud) when it could not check', async () => {
      expect((await runWith(CLEAN, 0)).status).toBe(0);
      const vulnerable = await runWith(VULNERABLE, 1);
      expect(vulnerable.status).toBe(1);
      expect(vulnerable.stdout).toContain('nodemailer <9.1.1 (moderate): an advisory against nodemailer - a fix is available');
      const refused = await runWith(REFUSED, 1);
      expect(refused.status).toBe(3);
      expect(refused.stdout).toMatch(/^dependency audit: could not check/);
    });
  });
});
