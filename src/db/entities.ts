import { catalogEntities } from '@cathouse/catalog';
import { installationEntities } from '@cathouse/installation';
import { proxyEntities } from '@cathouse/proxy';
import { authEntities } from './entities/index';

/**
 * Every entity of the shared database, by owning service. The migration DataSource maps all of
 * them (one history for one database); the runtime maps them too so relations resolve.
 */
export const entitiesByService = {
  auth: authEntities,
  '@cathouse/catalog': catalogEntities,
  '@cathouse/installation': installationEntities,
  '@cathouse/proxy': proxyEntities,
} as const;

export const allEntities = Object.values(entitiesByService).flat();
