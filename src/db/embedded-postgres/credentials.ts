import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgresError } from './error';

// Who logs in to the embedded server and with what: the generated superuser password, the roles' derived ones, the URLs.

/** The development server's superuser; its password is generated into DATA_DIR (see embeddedPassword). */
export const USER = 'postgres';
/** The password every cluster made before generated passwords had; replaced on the next start. */
export const LEGACY_PASSWORD = 'postgres';
export const EMBEDDED_DATABASE = 'cathouse';

/**
 * The superuser's password of the cluster in `dataDir`, kept beside it in `<dataDir>.password`
 * (mode 0600) and generated on first use, so no other local user can log in with a well-known
 * one. Creating it is safe to race: the first writer wins and everyone reads that.
 */
export function embeddedPassword(dataDir: string): string {
  const file = `${path.resolve(dataDir)}.password`;
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    try {
      writeFileSync(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return readFileSync(file, 'utf8').trim();
}

/** A service role's password on the embedded server: derived from the superuser's, so nothing more is stored. */
export function embeddedRolePassword(superuserPassword: string, role: string): string {
  return createHmac('sha256', superuserPassword).update(`cathouse-role:${role}`).digest('base64url');
}

export function embeddedUrl(port: number, password: string, database = EMBEDDED_DATABASE, user = USER): string {
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/** A cluster from before generated passwords still has the well-known one: it gets the generated one. */
export async function replaceLegacyPassword(port: number, password: string, clusterDir: string): Promise<void> {
  const client = new Client({ connectionString: embeddedUrl(port, LEGACY_PASSWORD, 'postgres'), connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch {
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL on port ${port} (data ${clusterDir}) refuses the password in ${clusterDir}.password: ` +
        `another server is on that port, or the password file was replaced; set EMBEDDED_PG_PORT, or remove the data directory to start afresh`,
    );
  }
  try {
    await client.query(`ALTER ROLE ${USER} PASSWORD '${password.replace(/'/g, "''")}'`);
  } finally {
    await client.end();
  }
}
