import path from 'node:path';
import { DataSource } from 'typeorm';
import type { Config } from '../config/config';
import { baseOptions } from './base-options';
import { embeddedUrl, startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';

/**
 * The DataSource migrations run through, over the direct endpoint (MIGRATION_DATABASE_URL):
 * one real session, so it can hold an advisory lock and run DDL. With no URL configured it
 * points at the embedded development server and starts it on `initialize()` if it is not
 * already running (so `npm run migration:run` works beside, or without, `npm start`).
 */
export class MigrationDataSource extends DataSource {
  private embedded: EmbeddedPostgres | undefined;
  /** True when no URL was given and no MIGRATION_DATABASE_URL is set: the embedded server is used. */
  readonly usesEmbedded: boolean;

  constructor(
    readonly config: Config,
    url?: string,
  ) {
    super({
      ...baseOptions(url ?? config.db.migrationUrl ?? embeddedUrl(config.embedded.port)),
      // One migration per transaction, so a failure leaves the earlier ones applied.
      migrationsTransactionMode: 'each',
      extra: { max: 2, connectionTimeoutMillis: config.db.connectTimeoutMs, application_name: 'cathouse-migrate' },
    });
    this.usesEmbedded = url === undefined && config.db.migrationUrl === undefined;
  }

  override async initialize(): Promise<this> {
    if (this.usesEmbedded && !this.embedded) {
      this.embedded = await startEmbeddedPostgres({
        dataDir: path.join(this.config.embedded.dataDir, 'postgres'),
        port: this.config.embedded.port,
        persistent: true,
      });
    }
    return super.initialize();
  }

  override async destroy(): Promise<void> {
    try {
      if (this.isInitialized) await super.destroy();
    } finally {
      const embedded = this.embedded;
      this.embedded = undefined;
      await embedded?.stop();
    }
  }
}
