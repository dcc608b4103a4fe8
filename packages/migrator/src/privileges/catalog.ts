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
  /** Null for a privilege on the schema itself. The sequence's name when `sequence`. */
  readonly table: string | null;
  readonly column: string | null;
  /** A privilege on a sequence (GRANT ... ON SEQUENCE). */
  readonly sequence?: boolean;
}

/**
 * A sequence that a column's default draws from (`serial`, or DEFAULT nextval(...)): inserting a
 * row that takes the default needs USAGE on it besides INSERT on the table. Identity columns are
 * not listed: PostgreSQL checks no privilege on their sequences.
 */
export interface SequenceDefault {
  readonly schema: string;
  readonly sequence: string;
  readonly tableSchema: string;
  readonly table: string;
  readonly column: string;
}

/** ALTER DEFAULT PRIVILEGES FOR ROLE owner IN SCHEMA schema ... ON TABLES (or ON SEQUENCES). */
export interface DefaultGrant {
  readonly owner: string;
  readonly schema: string;
  readonly grantee: string;
  readonly privilege: AclPrivilege;
  readonly sequences?: boolean;
}

export interface PrivilegeCatalog {
  /** The role running the migrations: the owner of default privileges it sets. */
  readonly currentUser: string;
  readonly canCreateRoles: boolean;
  /** Owned schemas that exist. */
  readonly schemas: readonly string[];
  readonly tables: readonly CatalogTable[];
  /** The sequences the columns of the owned schemas' tables take their defaults from. */
  readonly sequenceDefaults: readonly SequenceDefault[];
  /** Every grant on the owned schemas, their tables and sequences, except those of each object's owner. */
  readonly grants: readonly Grant[];
  readonly defaults: readonly DefaultGrant[];
  /** Which of the asked role names exist. */
  readonly existingRoles: ReadonlySet<string>;
}

const grantee = (oid: string) => `CASE WHEN ${oid} = 0 THEN '${PUBLIC}' ELSE pg_get_userbyid(${oid}) END`;

/**
 * Reads what the privileges of the owned schemas are now, from the catalogs (pg_namespace,
 * pg_class, pg_attribute, pg_attrdef, pg_depend, pg_default_acl): six read-only queries, any connection.
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
  // A column default's dependency on a sequence (pg_depend from pg_attrdef): serial columns and
  // explicit nextval() defaults alike.
  const sequenceDefaults: SequenceDefault[] = await db.query(
    `SELECT sn.nspname AS schema, s.relname AS sequence, tn.nspname AS "tableSchema", t.relname AS "table", a.attname AS "column"
       FROM pg_attrdef ad
       JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid AND d.refclassid = 'pg_class'::regclass
       JOIN pg_class s ON s.oid = d.refobjid AND s.relkind = 'S' JOIN pg_namespace sn ON sn.oid = s.relnamespace
       JOIN pg_class t ON t.oid = ad.adrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
       JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
      WHERE tn.nspname = ANY($1) ORDER BY 3, 4, 5`,
    [schemas],
  );
  const grants: Grant[] = await db.query(
    `SELECT ${grantee('x.grantee')} AS grantee, x.privilege_type AS privilege, n.nspname AS schema, NULL AS "table", NULL AS "column", false AS "sequence"
       FROM pg_namespace n, aclexplode(n.nspacl) x
      WHERE n.nspname = ANY($1) AND x.grantee <> n.nspowner
     UNION ALL
     SELECT ${grantee('x.grantee')}, x.privilege_type, n.nspname, c.relname, NULL, c.relkind = 'S'
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) x
      WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND x.grantee <> c.relowner
     UNION ALL
     SELECT ${grantee('x.grantee')}, x.privilege_type, n.nspname, c.relname, a.attname, false
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(a.attacl) x
      WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped AND x.grantee <> c.relowner`,
    [schemas],
  );
  const defaults: DefaultGrant[] = await db.query(
    `SELECT pg_get_userbyid(d.defaclrole) AS owner, n.nspname AS schema, ${grantee('x.grantee')} AS grantee, x.privilege_type AS privilege,
            d.defaclobjtype = 'S' AS sequences
       FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace, aclexplode(d.defaclacl) x
      WHERE n.nspname = ANY($1) AND d.defaclobjtype IN ('r', 'S')`,
    [schemas],
  );
  return {
    currentUser: me.name,
    canCreateRoles: me.can_create === true,
    schemas: present.map((s) => s.name),
    tables: tables.map((t) => ({ schema: t.schema, name: t.name, owner: t.owner, columns: t.columns ?? [] })),
    sequenceDefaults,
    grants,
    defaults,
    existingRoles: new Set(existing.map((r) => r.name)),
  };
}
