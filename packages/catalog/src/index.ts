import { Cat } from './cat.entity';
import { Permission } from './permission.entity';

export { Cat, Permission };
export { CATALOG_SCHEMA } from './schema';
export { CAT_STATUSES, type CatStatus } from './cat.entity';
export { PERMISSION_TYPES, type PermissionType } from './permission.entity';
export { SnakeNamingStrategy } from '@cathouse/db-conventions';

/** The entities the catalog service owns, for a DataSource's `entities`. */
export const catalogEntities = [Cat, Permission];
