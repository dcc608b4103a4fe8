import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { createSigningKey, productionEnv, startServiceProcess, type SigningKey } from './reliability/support/service-process';
import { createTestDatabase, type TestDatabase } from './support/database';
import { ROOT } from './support/processes';

/** Anything that compiles TypeScript at run time: what the production process must not load. */
const TYPESCRIPT_TOOLING = /[\\/](@swc|@swc-node|typescript|ts-node)[\\/]|\.ts$|register-ts\.js$/;

describe('the production build', () => {
  let db: TestDatabase;
  let key: SigningKey;
  let scratch: string;

  beforeAll(async () => {
    await promisify(execFile)('npm', ['run', '--silent', 'build'], { cwd: ROOT });
    db = await createTestDatabase();
    key = await createSigningKey();
    scratch = await mkdtemp(path.join(tmpdir(), 'cathouse-build-'));
  });
  afterAll(async () => {
    await db.drop();
    await key.remove();
    await rm(scratch, { recursive: true, force: true });
  });

  /** Starts `node <entry>` with a production environment, serves one login and refresh, stops it, and returns what it loaded. */
  async function runAndList(entry: string[], extra: Record<string, string> = {}) {
    const file = path.join(scratch, `modules-${Date.now()}.json`);
    const service = await startServiceProcess({
      entry: ['-r', path.join(ROOT, 'test/support/loaded-modules.js'), ...entry],
      env: productionEnv({ databaseUrl: db.url, key, extra: { LOADED_MODULES_FILE: file, ...extra } }),
    });
    try {
      expect((await fetch(`${service.url}/api/v1/auth/ready`)).status).toBe(200);
      const email = `build-${Date.now()}@example.com`;
      const post = (p: string, body: unknown) =>
        fetch(`${service.url}/api/v1/auth${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const registered = await post('/register', { email, password: 'correct horse battery staple' });
      expect(registered.status).toBe(201);
      const { refresh_token } = (await registered.json()) as { refresh_token: string };
      expect((await post('/refresh', { refresh_token })).status).toBe(200);
    } finally {
      expect(await service.stop()).toBe(0);
    }
    return JSON.parse(readFileSync(file, 'utf8')) as { modules: string[]; mapped: string[] };
  }

  it('compiles the service and the workspace packages it imports to JavaScript in dist/', () => {
    expect(existsSync(path.join(ROOT, 'dist/src/main.js'))).toBe(true);
    expect(existsSync(path.join(ROOT, 'dist/packages/catalog/src/index.js'))).toBe(true);
    expect(readFileSync(path.join(ROOT, 'dist/src/db/base-options.js'), 'utf8')).not.toContain('require("@cathouse/');
  });

  it('carries the locale files a translator edits (issue 30): mail and error texts render from dist/', async () => {
    const script = `const { renderMail } = require('./dist/src/auth/mail/messages.js');
      const { loadDetailCatalogs } = require('./dist/src/errors/localized-details.js');
      const mail = { appUrl: 'https://a.example', verifyEmailPath: '/v', resetPasswordPath: '/r', linkTokenIn: 'fragment', defaultLocale: 'en' };
      process.stdout.write(renderMail(mail, 'password_changed', 'x@y.example', {}, undefined, 'es').subject + '|' + loadDetailCatalogs().languages.join(','));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { cwd: ROOT });
    expect(stdout).toBe('Tu contraseña ha cambiado|en,es');
  });

  it('runs as a production service (ready, login, refresh) with no TypeScript tooling loaded', async () => {
    const { modules, mapped } = await runAndList(['dist/src/main.js']);
    expect(modules.filter((m) => TYPESCRIPT_TOOLING.test(m))).toEqual([]);
    expect(mapped.filter((m) => /swc/.test(m))).toEqual([]);
    // TypeORM read the entities' decorator metadata from the compiled classes (the app could not query otherwise).
    expect(modules.some((m) => m.endsWith(path.join('dist', 'packages', 'catalog', 'src', 'cat.entity.js')))).toBe(true);
  });

  it('`npm start` with NODE_ENV=production runs the build, not the TypeScript sources', async () => {
    const { modules } = await runAndList([path.join(ROOT, 'scripts/start.js')]);
    expect(modules).toContain(path.join(ROOT, 'dist/src/main.js'));
    expect(modules.filter((m) => TYPESCRIPT_TOOLING.test(m))).toEqual([]);
  });

  it('the Docker image runs the build, and docker-compose runs the service and the migrations from that image', () => {
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    const stages = dockerfile.split(/^FROM /m);
    expect(stages.at(-2)).toMatch(/^RUN npm run build$/m);
    expect(stages.at(-1)).toMatch(/^ENV NODE_ENV=production$/m);
    expect(stages.at(-1)).toMatch(/^COPY --from=build \/app\/dist dist$/m);
    expect(stages.at(-1)).toMatch(/^CMD \["node", "--max-semi-space-size=8", "dist\/src\/main.js"\]$/m);
    const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
    for (const name of ['auth', 'migrate']) expect({ name, build: compose.services[name].build }).toEqual({ name, build: '.' });
    expect(compose.services.auth.command).toBeUndefined();
  });
});
