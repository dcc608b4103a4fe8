import { readdir, readFile, mkdtemp, rm, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { findFreePort } from '../support/ports';
import { pollUntil } from '../support/poll';
import { signalGroup, spawnInRepo, type Spawned } from '../support/processes';
import { tokenOfLink } from '../support/smtp';
import { runWholeFlow } from './whole-flow';

const LISTENING = /listening on (http:\/\/\S+)/;

/** The lifecycle on `npm start` with no configuration: embedded PostgreSQL, and mail as .eml files in DATA_DIR/mail (the log names the file, never the link). */
describe('the account lifecycle on npm start (embedded PostgreSQL, mail to files)', () => {
  let app: Spawned | undefined;
  let dataDir: string;
  afterAll(async () => {
    if (app) {
      signalGroup(app, 'SIGTERM');
      await app.exited;
      const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid');
      await pollUntil('the embedded PostgreSQL to stop', async () => !(await access(pidFile).then(() => true, () => false)), { timeoutMs: 30_000, intervalMs: 100 });
    }
    await rm(dataDir, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
  });

  it('every flow works, each mail is an .eml file with text and HTML parts, and the log names the file but never the link (M2)', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'cathouse-lifecycle-start-'));
    const [port, pgPort] = await Promise.all([findFreePort(), findFreePort()]);
    app = spawnInRepo('npm', ['start', '--silent'], { DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(pgPort), HOST: '127.0.0.1', TOKEN_SECRET: '', APP_URL: 'http://localhost:5173' });
    const line = await app.waitForOutput(LISTENING, 60_000);
    expect(app.output()).toContain(`mail: files in ${path.join(dataDir, 'mail')}`);
    const api = `${LISTENING.exec(line)![1]}/api/v1/auth`;

    const mailDir = path.join(dataDir, 'mail');
    const readAll = async () => {
      const files = (await readdir(mailDir).catch(() => [] as string[])).filter((f) => f.endsWith('.eml')).sort();
      return Promise.all(files.map(async (f) => simpleParser(await readFile(path.join(mailDir, f)))));
    };
    const seen = new Map<string, number>();
    await runWholeFlow(
      [api],
      async (to, subject) => {
        const key = `${to} ${subject.source}`;
        const n = (seen.get(key) ?? 0) + 1;
        seen.set(key, n);
        const mail = await pollUntil(`.eml ${n} to ${to} (${subject.source})`, async () => (await readAll()).filter((m) => m.subject && subject.test(m.subject) && (Array.isArray(m.to) ? m.to : [m.to]).some((a) => a?.text === to))[n - 1], { timeoutMs: 15_000, intervalMs: 100 });
        expect(typeof mail.html).toBe('string');
        const link = /http:\/\/localhost:5173\/\S+#token=[A-Za-z0-9_-]+/.exec(mail.text ?? '')?.[0];
        if (link) {
          // Issue 22 M2: the token is a credential; the log says which file holds the mail.
          await pollUntil('the log line naming the file', async () => /mail written to \S+\.eml \(open it for the link\)/.test(app!.output()));
          expect(app!.output()).not.toContain(tokenOfLink(link)!);
        }
        return { link, token: link ? tokenOfLink(link) : undefined };
      },
      'embedded',
    );
  }, 120_000);
});
