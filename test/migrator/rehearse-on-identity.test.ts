import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MigrationDataSource, rehearse } from '@cathouse/migrator';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded-postgres';
import { findFreePort } from '../support/ports';
import { migrationsDir, type MigrationsDir } from './support/fixtures';

const TIMEOUTS = { lockTimeoutMs: 10_000, ddlLockTimeoutMs: 5_000, statementTimeoutMs: 0 };

/**
 * `rehearse --on` must never run up, down, up on the migration database itself. A server of its
 * own, listening on TCP and on a Unix socket, gives two routes to one database.
 */
describe('rehearse --on recognises the migration database by identity, whatever the route', () => {
  let server: EmbeddedPostgres;
  let base: string;
  let dir: MigrationsDir;

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'mig-l3-'));
    server = await startEmbeddedPostgres({
      dataDir: path.join(base, 'data'),
      port: await findFreePort(),
      database: 'shop',
      persistent: false,
      // The system's temporary directory: writable by the server's own user also when the tests run as root.
      settings: { fsync: 'off', unix_socket_directories: tmpdir() },
    });
    dir = migrationsDir('basic');
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    dir?.remove();
    await rm(base, { recursive: true, force: true });
  });

  const source = (url: string) =>
    new MigrationDataSource({ type: 'postgres', url, entities: [], migrations: [], logging: false }, { migrationsDir: dir.dir, timeouts: TIMEOUTS });

  it('refuses the same database reached through its Unix socket, and leaves it untouched', async () => {
    const tcp = source(server.url);
    const socket = source(`postgres://postgres:${encodeURIComponent(server.password)}@localhost/shop?host=${encodeURIComponent(tmpdir())}&port=${server.port}`);
    await tcp.initialize();
    await socket.initialize();
    try {
      await tcp.migrator().up({ steps: 1 });
      // The route differs: the server sees no TCP address on the socket connection.
      expect((await socket.query(`SELECT inet_server_addr() AS a`))[0].a).toBeNull();
      await expect(rehearse(tcp.migrator(), { on: socket })).rejects.toMatchObject({ code: 'usage', message: expect.stringContaining('--on reaches the migration database itself (shop') });
      expect((await tcp.query(`SELECT name FROM migrations`)).map((r: { name: string }) => r.name)).toEqual(['CreateKittens1700000000001']);
      expect((await tcp.query(`SELECT to_regclass('toys') AS t`))[0].t).toBeNull();
    } finally {
      await socket.destroy();
      await tcp.destroy();
    }
  });
});
