import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ROOT_RUNTIME_DIR, privateRootDir, type RunAs } from './binaries';

/**
 * The directory the cluster lives in. As root, `dataDir` is (or becomes) a symbolic link to a
 * cluster directory in ROOT_RUNTIME_DIR that the postgres user owns; a real directory left there
 * by an earlier version is used in place.
 */
export async function clusterDirFor(dataDir: string, ids: RunAs): Promise<string> {
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  if (ids.uid === undefined) {
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    return dataDir;
  }
  const link = await fs.lstat(dataDir).catch(() => null);
  if (link?.isSymbolicLink()) {
    const target = path.resolve(path.dirname(dataDir), readlinkSync(dataDir));
    if (existsSync(target)) return target;
    await fs.unlink(dataDir);
  } else if (link?.isDirectory()) {
    return dataDir;
  }
  const clusters = path.join(ROOT_RUNTIME_DIR, 'clusters');
  await privateRootDir(clusters);
  await removeOrphanClusters(clusters);
  const target = path.join(clusters, `${path.basename(path.dirname(dataDir))}-${randomBytes(6).toString('hex')}`);
  await fs.mkdir(target, { mode: 0o700 });
  await fs.chown(target, ids.uid, ids.gid!);
  await fs.symlink(target, dataDir);
  // Written last: a cluster without its owner file is one being made, and is left alone.
  await fs.writeFile(`${target}.owner`, dataDir, { mode: 0o600 });
  return target;
}

/**
 * Clusters whose DATA_DIR link is gone (`rm -rf .data`, a test's temporary folder removed) and
 * whose server is not running are deleted, so that root's clusters do not pile up in /var/tmp.
 */
async function removeOrphanClusters(clusters: string): Promise<void> {
  for (const entry of await fs.readdir(clusters)) {
    if (!entry.endsWith('.owner')) continue;
    const cluster = path.join(clusters, entry.slice(0, -'.owner'.length));
    const owner = await fs.readFile(path.join(clusters, entry), 'utf8').catch(() => '');
    const pointsHere = await fs.readlink(owner).then((t) => path.resolve(path.dirname(owner), t) === cluster, () => false);
    if (pointsHere || running(path.join(cluster, 'postmaster.pid'))) continue;
    await fs.rm(cluster, { recursive: true, force: true });
    await fs.rm(path.join(clusters, entry), { force: true });
  }
}

/** True when the postmaster.pid names a live process. */
function running(pidFile: string): boolean {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
