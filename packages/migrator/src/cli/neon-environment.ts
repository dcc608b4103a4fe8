import type { DataSource } from 'typeorm';
import { NEON_API_URL } from '../rehearsal/neon';
import type { NeonTarget } from '../rehearsal/neon-rehearsal';
import { UsageError } from './command';

/**
 * `migrator rehearse --neon` in the generic bin: the Neon project from the environment (the same
 * variables as Neon's own tools: NEON_API_KEY, NEON_PROJECT_ID; NEON_PARENT_BRANCH_ID and
 * NEON_API_URL optional), the database, role and host from the DataSource's connection options.
 */
export function neonFromEnvironment(dataSource: DataSource, env: NodeJS.ProcessEnv = process.env): NeonTarget {
  const missing = ['NEON_API_KEY', 'NEON_PROJECT_ID'].filter((name) => !env[name]);
  if (missing.length) throw new UsageError(`rehearse --neon needs ${missing.join(' and ')} in the environment (the Neon project's API key and id)`);
  const o = dataSource.options as { url?: string; host?: string; database?: string; username?: string };
  const url = o.url ? new URL(o.url) : undefined;
  const databaseName = url ? decodeURIComponent(url.pathname.slice(1)) : o.database;
  const roleName = url ? decodeURIComponent(url.username) : o.username;
  if (!databaseName || !roleName) throw new UsageError('rehearse --neon needs the database name and user of the DataSource (its url, or database and username)');
  return {
    settings: { apiKey: env.NEON_API_KEY!, projectId: env.NEON_PROJECT_ID!, parentBranchId: env.NEON_PARENT_BRANCH_ID || undefined, apiUrl: env.NEON_API_URL || NEON_API_URL },
    databaseName,
    roleName,
    host: url?.hostname ?? o.host,
  };
}
