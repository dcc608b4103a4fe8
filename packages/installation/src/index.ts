import { Installation } from './installation.entity';
import { InstallationPermission } from './installation-permission.entity';

export { Installation, InstallationPermission };
export { INSTALLATION_SCHEMA } from './schema';
export { INSTALLATION_STATUSES, type InstallationStatus } from './installation.entity';

/** The entities the installation service owns, for a DataSource's `entities`. */
export const installationEntities = [Installation, InstallationPermission];
