import type { Queryable } from '../history';

/** A privilege as PostgreSQL names it in aclexplode(): SELECT, INSERT, ..., USAGE, CREATE. */
export type AclPrivilege = string;

/** `PUBLIC` for grantee 0, else the role's name. */
export const PUBLIC = 'PUBLIC';

export interface CatalogTable {
  readonly schema: string;
  readonly name: string;
  readonly owner: string;
  readonly columns: readonly string[];
}

/** One grant as the catalogs hold it. `column` is set for column privileges. */
export interface Grant {
  readonly grantee: string;
  readonly privilege: AclPrivilege;
  readonly schema: string;
  /** Null for a privilege on the schema itself. */
  readonly table: string | null;
  readonly column: string | null;
}

/** ALTER DEFAULT PRIVILEGES FOR ROLE owner IN SCHEMA schema ... ON TABLES. */
export interface DefaultGrant {
  readonly owner: string;
  readonly schema: string;
  readonly grantee: string;
  readonly privilege: AclPrivilege;
}

export interface PrivilegeCatalog {
  /** The role running the migrations: the owner of default privileges it sets. */
  readonly currentUser: string;
  readonly canCreateRoles: boolean;
  /** Owned schemas that exist. */
  readonly schemas: readonly string[];
  readonly tables: readonly CatalogTable[];
  /** Every grant on the owned schemas and their tables, except those of each object's owner. */
  readonly grants: readonly Grant[];
  readonly defaults: readonly DefaultGrant[];
  /** Which of the asked role names exist. */
  readonly existingRoles: ReadonlySet<string>;
}

const grantee = (oid: string) => `CASE WHEN ${oid} = 0 THEN '${PUBLIC}' ELSE pg_get_userbyid(${oid}) END`;

/**
 * Reads what the privileges of the owned schemas are now, from the catalogs (pg_namespace,
 * pg_class, pg_attribute, pg_default_acl): five read-only queries, any connection.
 */
export async function readPrivilegeCatalog(db: Queryable, schemas: readonly string[], roleNames: readonly string[]): Promise<PrivilegeCatalog> {
  const [me] = await db.query(
    `SELECT current_user AS name, rolsuper OR rolcreaterole AS can_create FROM pg_roles WHERE rolname = current_user`,
  );
  const existing: { name: string }[] = await db.query(`SELECT rolname AS name FROM pg_roles WHERE rolname = ANY($1)`, [roleNames]);
  const present: { name: string }[] = await db.query(`SELECT nspname AS name FROM pg_namespace WHERE nspname = ANY($1)`, [schemas]);
  // Tables, views and their columns (relkind r, p, v, m, f), with the owner whose grants are implicit.
  const tables: { schema: string; name: string; owner: string; columns: string[] | null }[] = await db.query(
    `SELECT n.nspname AS schema, c.relname AS name, pg_get_userbyid(c.relowner) AS owner,
            array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE a.attnum > 0 AND NOT a.attisdropped) AS columns
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = c.oid
      WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
      GROUP BY n.nspname, c.relname, c.relowner ORDER BY 1, 2`,
    [schemas],
  );
  const grants: { grantee: string; privilege: string; schema: string; table: string | null; column: string | null }[] = await db.query(
    `SELECT ${grantee('x.grantee')} AS grantee, x.privilege_type AS privilege, n.nspname AS schema, NULL AS "table", NULL AS "column"
       FROM pg_namespace n, aclexplode(n.nspacl) x
      WHERE n.nspname = ANY($1) AND x.grantee <> n.nspowner
     UNION ALL
     SELECT ${grantee('x.grantee')}, x.privilege_type, n.nspname, c.relname, NULL
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) x
      WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND x.grantee <> c.relowner
     UNION ALL
     SELECT ${grantee('x.grantee')}, x.privilege_type, n.nspname, c.relname, a.attname
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(a.attacl) x
      WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped AND x.grantee <> c.relowner`,
    [schemas],
  );
  const defaults: DefaultGrant[] = await db.query(
    `SELECT pg_get_userbyid(d.defaclrole) AS owner, n.nspname AS schema, ${grantee('x.grantee')} AS grantee, x.privilege_type AS privilege
       FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace, aclexplode(d.defaclacl) x
      WHERE n.nspname = ANY($1) AND d.defaclobjtype = 'r'`,
    [schemas],
  );
  return {
    currentUser: me.name,
    canCreateRoles: me.can_create === true,
    schemas: present.map((s) => s.name),
    tables: tables.map((t) => ({ schema: t.schema, name: t.name, owner: t.owner, columns: t.columns ?? [] })),
    grants,
    defaults,
    existingRoles: new Set(existing.map((r) => r.name)),
  };
}
