import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { adminUrl } from '../support/env';
import { migrate } from './support/cli';

/** Issue 24 item 8: every failure to connect is one line and exit 2, whatever the command and the cause. */
describe('connection failures: one line, exit 2', () => {
  const withoutPassword = () => {
    const u = new URL(adminUrl());
    u.password = '';
    return u.toString();
  };
  const cases: [string, () => string, RegExp][] = [
    ['a URL without a password', withoutPassword, /client password must be a string; the server asks for a password and the URL gives none: write it in the URL/],
    ['TLS the server does not offer (the seed\'s ?sslmode=require)', () => `${adminUrl()}?sslmode=require`, /The server does not support SSL connections; TLS failed: check the server's TLS setup and the URL's sslmode/],
    ['a database that does not exist', () => adminUrl().replace(/\/[^/?]*$/, '/no_such_database'), /database "no_such_database" does not exist; the database does not exist: check its name in the URL/],
  ];

  it.each(cases)('%s', async (_what, url, cause) => {
    for (const command of [['status'], ['up'], ['history'], ['generate', 'x']]) {
      const r = await migrate(command, { MIGRATION_DATABASE_URL: url() }).done;
      expect({ command, code: r.code, lines: r.stderr.trim().split('\n').length, stdout: r.stdout }).toEqual({ command, code: 2, lines: 1, stdout: '' });
      expect(r.stderr).toMatch(/^error: cannot connect to MIGRATION_DATABASE_URL \(postgres:\/\/postgres(:\*\*\*)?@127\.0\.0\.1:\d+\//);
      expect(r.stderr).toMatch(cause);
      expect(r.stderr).not.toContain(new URL(adminUrl()).password);
    }
  }, 60_000);

  it('the library keeps node-postgres\'s sslmode warning out and says once, in the error, what require means to it', () => {
    // A process of its own: node-postgres prints the warning once per process.
    const script = `
      const { openReadConnection } = require(${JSON.stringify(path.resolve(__dirname, '../../packages/migrator/src/read.ts'))});
      openReadConnection({ url: process.argv[1], timeouts: { lockTimeoutMs: 1000, ddlLockTimeoutMs: 1000, statementTimeoutMs: 0 } })
        .then(() => console.log('connected'), (e) => console.log(e.code + ': ' + e.message));`;
    const r = spawnSync(process.execPath, ['-r', './src/cli/register-ts.js', '-e', script, `${adminUrl()}?sslmode=require`], { cwd: path.resolve(__dirname, '../..'), encoding: 'utf8' });
    expect(r.stderr).not.toContain('SECURITY WARNING');
    expect(r.stdout.trim()).toMatch(/^database_unreachable: cannot connect to the migration database URL .*node-postgres checks sslmode=require like verify-full .* or add uselibpqcompat=true for libpq's meaning/);
  });
});
