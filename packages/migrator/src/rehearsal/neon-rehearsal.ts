import type { DataSource } from 'typeorm';
import type { Migrator } from '../migrator';
import { createNeonBranch, type NeonBranch, type NeonSettings } from './neon';
import { rehearse, type RehearsalOptions, type RehearsalReport } from './rehearse';

/** Where the branch comes from and what to connect to on it: the migration database's name, role and host. */
export interface NeonTarget {
  readonly settings: NeonSettings;
  readonly databaseName: string;
  readonly roleName: string;
  /** The migration database's endpoint host: the branch is made from that endpoint's branch. */
  readonly host?: string;
}

export interface NeonRehearsalReport extends RehearsalReport {
  readonly neon: {
    readonly branchId: string;
    readonly branchName: string;
    readonly parentId: string | null;
    /** Deleted after the rehearsal, or kept (--keep) for inspection. */
    readonly deleted: boolean;
    /** The branch's connection URI without the password (with --keep: where to look). */
    readonly uri: string;
  };
}

/**
 * The seed's "test in a development branch", done by the tool: a Neon branch of the migration
 * database (its data included), the pending migrations up, down and up again there with the loss
 * counts, then the branch deleted unless `keep`. `open` connects to the branch (the caller's
 * DataSource options on another URL); the branch is made before `migrator`'s database is touched.
 */
export async function rehearseOnNeonBranch(
  migrator: () => Promise<Migrator>,
  open: (url: string) => Promise<DataSource>,
  target: NeonTarget,
  opts: RehearsalOptions & { readonly keep?: boolean } = {},
): Promise<NeonRehearsalReport> {
  const say = opts.onProgress ?? (() => undefined);
  say(`creating a Neon branch of ${target.databaseName}${target.settings.parentBranchId ? ` from ${target.settings.parentBranchId}` : ''}`);
  const branch: NeonBranch = await createNeonBranch(target.settings, { databaseName: target.databaseName, roleName: target.roleName, migrationHost: target.host });
  say(`created Neon branch ${branch.name} (${branch.id})`);
  let deleted = false;
  try {
    const on = await open(branch.uri);
    const report = await rehearse(await migrator(), { ...opts, on });
    if (!opts.keep) {
      await on.destroy().catch(() => undefined);
      await branch.delete();
      deleted = true;
      say(`deleted Neon branch ${branch.name}`);
    }
    return { ...report, neon: { branchId: branch.id, branchName: branch.name, parentId: branch.parentId, deleted, uri: branch.displayUri } };
  } catch (err) {
    if (!opts.keep) await branch.delete().catch(() => undefined);
    throw err;
  }
}
