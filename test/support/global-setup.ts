import 'reflect-metadata';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { MigrationDataSource } from '../../src/db/migration-data-source';
import { findFreePort } from './ports';
import { startSharedBrowser } from './shared-browser';
import { TEMPLATE_DATABASE, testConfig, withDatabase } from './env';

/**
 * One PostgreSQL per test run: the embedded server in a throwaway directory, or the server of
 * TEST_DATABASE_URL. A template database migrated to head lets each test file clone its own
 * database in milliseconds, so files run in parallel without seeing each other's rows.
 */
export default async function globalSetup(): Promise<void> {
  (globalThis as { __sharedBrowser?: unknown }).__sharedBrowser = await startSharedBrowser();
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    const dataDir = path.join(await mkdtemp(path.join(tmpdir(), 'cathouse-test-pg-')), 'data');
    const server = await startEmbeddedPostgres({
      dataDir,
      port: await findFreePort(),
      database: 'postgres',
      persistent: false,
      // A throwaway cluster: durability only costs time here.
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: 300 },
    });
    (globalThis as { __embeddedPg?: typeof server }).__embeddedPg = server;
    // For the test that checks no parent directory's permissions were changed to run it.
    process.env.TEST_PG_DATA_DIR = dataDir;
    adminUrl = server.adminUrl;
  }
  process.env.TEST_ADMIN_URL = adminUrl;

  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const migrations = new MigrationDataSource(testConfig(), withDatabase(adminUrl, TEMPLATE_DATABASE));
  await migrations.initialize();
  try {
    await migrations.runMigrations({ transaction: 'each' });
  } finally {
    await migrations.destroy();
  }
}
