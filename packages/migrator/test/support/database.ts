import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * A database of its own per test, on the PostgreSQL server the repository's jest global setup
 * starts (TEST_ADMIN_URL). The package's tests use nothing else of the service.
 */
export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

export function adminUrl(): string {
  const url = process.env.TEST_ADMIN_URL;
  if (!url) throw new Error('TEST_ADMIN_URL is not set: run the tests through jest, whose global setup starts PostgreSQL');
  return url;
}

export async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** An empty database; `name` may be any legal PostgreSQL name (it is quoted and percent-encoded). */
export async function createDatabase(name = `migrator_test_${randomBytes(6).toString('hex')}`): Promise<TestDatabase> {
  await admin((c) => c.query(`CREATE DATABASE ${ident(name)}`));
  const url = new URL(adminUrl());
  url.pathname = `/${encodeURIComponent(name)}`;
  return {
    name,
    url: url.toString(),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`)).then(() => undefined),
  };
}
