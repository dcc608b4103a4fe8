import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgresError, startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { findFreePort } from './support/ports';
import { signalGroup } from './support/processes';

const ROOT = path.resolve(__dirname, '..');
const mode = (p: string) => statSync(p).mode & 0o7777;
/** Every directory from `p` up to /, with its mode: none of them may change. */
const ancestors = (p: string) => {
  const out: Record<string, number> = {};
  for (let dir = p; ; dir = path.dirname(dir)) {
    out[dir] = mode(dir);
    if (dir === path.dirname(dir)) return out;
  }
};

/**
 * The embedded default from a clone inside a private directory (mode 0700, like /root or a
 * mktemp -d folder), as CI runs it (as root, where PostgreSQL must run as another user).
 */
describe(`the embedded PostgreSQL from a private parent directory (running as ${userInfo().username})`, () => {
  let privateDir: string;
  let clone: string;

  beforeAll(async () => {
    privateDir = mkdtempSync(path.join(tmpdir(), 'cathouse-private-'));
    expect(mode(privateDir)).toBe(0o700);
    clone = path.join(privateDir, 'clone');
    mkdirSync(clone);
    // A clone with its own node_modules (hard links: fast, and the binaries' paths are inside the private directory).
    for (const entry of ['src', 'packages', 'package.json', 'tsconfig.json', 'data-source.ts']) {
      await cp(path.join(ROOT, entry), path.join(clone, entry), { recursive: true });
    }
    const copy = spawn('cp', ['-al', path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules')]);
    await new Promise((resolve, reject) => copy.on('exit', (code) => (code === 0 ? resolve(undefined) : reject(new Error(`cp -al exited ${code}`)))));
  }, 60_000);

  afterAll(() => {
    rmSync(privateDir, { recursive: true, force: true });
  });

  it('npm start serves, twice, without changing the permissions of any parent directory', async () => {
    const dataDir = path.join(clone, '.data');
    const before = ancestors(clone);
    for (const run of ['first start', 'second start']) {
      const [port, pgPort] = await Promise.all([findFreePort(), findFreePort()]);
      const child = spawn('node', ['-r', '@swc-node/register', 'src/main.ts'], {
        cwd: clone,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), EMBEDDED_PG_PORT: String(pgPort), HOST: '127.0.0.1', LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
      try {
        const deadline = Date.now() + 60_000;
        while (!/listening on http/.test(output)) {
          if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${run}: npm start did not listen:\n${output}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        const ready = await fetch(`http://127.0.0.1:${port}/api/v1/auth/ready`);
        expect({ run, status: ready.status }).toEqual({ run, status: 200 });
        // The start-up line says where the data is; as root that is outside the private directory.
        const where = /embedded PostgreSQL ready \(data in ([^)]+)\)/.exec(output)![1]!;
        if (userInfo().uid === 0) expect(where.startsWith(privateDir)).toBe(false);
        expect(output).toContain(`(database postgres://cathouse_auth:***@127.0.0.1:${pgPort}/cathouse)`);
      } finally {
        signalGroup({ child } as never, 'SIGINT');
        await exited;
      }
      expect(ancestors(clone)).toEqual(before);
      expect(mode(privateDir)).toBe(0o700);
    }
    // L7: the superuser's password is generated into DATA_DIR, readable by its owner only.
    const password = path.join(dataDir, 'postgres.password');
    expect(mode(password)).toBe(0o600);
    expect(readFileSync(password, 'utf8').trim()).toMatch(/^[A-Za-z0-9_-]{32}$/);
  }, 180_000);

  it("npm test's own server started without widening the mode of its private temporary directory", () => {
    const dataDir = process.env.TEST_PG_DATA_DIR!;
    expect(mode(path.dirname(dataDir))).toBe(0o700);
  });

  it('a binary that cannot be run is one EmbeddedPostgresError naming the file and the fix, not an unhandled error event', async () => {
    const native = path.join(privateDir, 'broken-native');
    mkdirSync(path.join(native, 'bin'), { recursive: true });
    for (const bin of ['initdb', 'postgres']) {
      writeFileSync(path.join(native, 'bin', bin), '#!/bin/sh\nexit 1\n');
      chmodSync(path.join(native, 'bin', bin), 0o644);
    }
    const dataDir = path.join(privateDir, 'broken-data', 'postgres');
    const err = await startEmbeddedPostgres({ dataDir, port: await findFreePort(), persistent: false, nativeDir: native }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbeddedPostgresError);
    const message = (err as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toContain(`could not run ${path.join(native, 'bin', 'initdb')}`);
    expect(message).toContain('EACCES');
    expect(message).toMatch(/reinstall \(npm ci\)/);
  });

  it('the superuser of a cluster made with the old well-known password gets the generated one on the next start', async () => {
    const dataDir = path.join(privateDir, 'legacy', 'postgres');
    const port = await findFreePort();
    const first = await startEmbeddedPostgres({ dataDir, port, persistent: true });
    const admin = new Client({ connectionString: first.adminUrl });
    await admin.connect();
    await admin.query(`ALTER ROLE postgres PASSWORD 'postgres'`);
    await admin.end();
    await first.stop();

    const second = await startEmbeddedPostgres({ dataDir, port, persistent: false });
    try {
      const old = new Client({ host: '127.0.0.1', port, user: 'postgres', password: 'postgres', database: 'postgres' });
      old.on('error', () => undefined);
      await expect(old.connect()).rejects.toMatchObject({ code: '28P01' });
      const current = new Client({ connectionString: second.adminUrl });
      await current.connect();
      await current.end();
    } finally {
      await second.stop();
    }
  }, 60_000);

  it('a cluster whose DATA_DIR was deleted is removed by the next start, not left behind (as root it lives outside DATA_DIR)', async () => {
    const gone = path.join(privateDir, 'deleted-later');
    const first = await startEmbeddedPostgres({ dataDir: path.join(gone, 'postgres'), port: await findFreePort(), persistent: true });
    await first.stop();
    expect(statSync(first.clusterDir).isDirectory()).toBe(true);
    rmSync(gone, { recursive: true, force: true });
    const next = await startEmbeddedPostgres({ dataDir: path.join(privateDir, 'next', 'postgres'), port: await findFreePort(), persistent: false });
    await next.stop();
    expect(() => statSync(first.clusterDir)).toThrow(/ENOENT/);
  }, 60_000);
});
