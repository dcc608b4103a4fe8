/**
 * The migration DataSource of the shared Cat House database, for the TypeORM CLI
 * (`npm run migration:generate|run|revert|show`) and for `npm run migrate`.
 * It maps the entities of auth and of @cathouse/catalog, @cathouse/installation and
 * @cathouse/proxy, over the direct endpoint MIGRATION_DATABASE_URL (the embedded
 * development server when unset).
 *
 * Its runMigrations()/undoLastMigration() go through @cathouse/migrator, so even the plain
 * `typeorm migration:run|revert` takes the migration lock, refuses a pooler, and verifies and
 * records checksums. `npm run migrate` builds the same MigrationDataSource itself, loading only
 * what each command needs.
 */
import 'reflect-metadata';
import { loadMigrationConfig } from './src/config/config';
import { MigrationDataSource } from './src/db/migration-data-source';

export default new MigrationDataSource(loadMigrationConfig());
