import type { DataSource } from 'typeorm';

/**
 * What the runtime checks about its own database role once connected (issue 21): the service
 * should connect as DB_ROLE_AUTH, which may read and write rows but not change the schema. A
 * superuser or the schema's owner works too, silently, and turns any injection into DDL.
 * One read-only statement, fine through a transaction pooler. Undefined when all is well.
 */
export async function runtimeRoleWarning(dataSource: DataSource, authRole: string): Promise<string | undefined> {
  const [row] = (await dataSource.query(
    `SELECT current_user AS name, r.rolsuper AS superuser,
            EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = 'auth' AND n.nspowner = r.oid) AS owner
       FROM pg_roles r WHERE r.rolname = current_user`,
  )) as { name: string; superuser: boolean; owner: boolean }[];
  if (!row || (!row.superuser && !row.owner)) return undefined;
  const what = row.superuser ? 'a superuser' : 'the owner of schema auth';
  return `DATABASE_URL: connects as ${row.name}, ${what}: the service should run as its own role (DB_ROLE_AUTH=${authRole}, which \`npm run migrate -- up\` grants exactly what it needs); keep the owner for MIGRATION_DATABASE_URL`;
}

const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * A failure to reach the database at start as one line naming DATABASE_URL and the fix, instead
 * of a stack: TLS refusals are configuration errors (exit 2), an unreachable host a plain failure.
 */
export function describeStartError(err: unknown): { line: string; configuration: boolean } | undefined {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' ? e.message.split('\n')[0]! : '';
  if (code && TLS_CODES.has(code)) {
    return {
      configuration: true,
      line: `DATABASE_URL: the database's TLS certificate was refused (${message}): for a private CA add sslrootcert=/path/to/ca.pem to the URL and keep sslmode=verify-full; check that the host name matches the certificate`,
    };
  }
  if (/does not support SSL/i.test(message)) {
    return { configuration: true, line: `DATABASE_URL: ${message}: remove sslmode from the URL for a server without TLS (only on a private network), or enable TLS on the server` };
  }
  if (code && ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(code)) {
    return { configuration: false, line: `DATABASE_URL: cannot reach the database (${message}); check the host and port, and that it runs` };
  }
  if (code === '28P01' || code === '3D000' || code === '28000') {
    return { configuration: true, line: `DATABASE_URL: the database refused the connection (${message}); check the user, password and database name` };
  }
  return undefined;
}
