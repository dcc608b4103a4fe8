import { MigratorError } from '../errors';

/** What a role may do to a table's rows. DDL, TRUNCATE, REFERENCES and TRIGGER are never granted. */
export type TablePrivilege = 'select' | 'insert' | 'update' | 'delete';
export const TABLE_PRIVILEGES: readonly TablePrivilege[] = ['select', 'insert', 'update', 'delete'];

/**
 * Some columns of a table: these, or all but these (resolved against the table when applied).
 * `except` fails open: a column added later is granted by the next `up` without anyone deciding
 * it. Prefer `columns` for anything that crosses a trust boundary (another service's secrets).
 */
export type ColumnSet = { readonly columns: readonly string[] } | { readonly except: readonly string[] };

/**
 * A role's privileges on one table (or on `*`: every table of the schema, now and later):
 * a list of whole-table privileges, or per privilege `true` (whole table) or a ColumnSet
 * (column privileges; `delete` has none).
 */
export type TableGrant = readonly TablePrivilege[] | { readonly [P in TablePrivilege]?: true | ColumnSet };

/** Per schema, per table name or `*`. */
export type RoleGrants = Readonly<Record<string, Readonly<Record<string, TableGrant>>>>;

/**
 * Who may touch what, for the schemas the policy owns. Roles are keys (a service's name); the
 * caller maps each key to a real role name (PrivilegeSettings.roles), so one policy serves every
 * environment. In the owned schemas every privilege the policy does not list is drift, whoever
 * holds it (PUBLIC included), except the owner of the object.
 */
export interface PrivilegePolicy {
  readonly schemas: readonly string[];
  readonly roles: Readonly<Record<string, RoleGrants>>;
}

export interface PolicyRole {
  /** The role's name in the database. */
  readonly name: string;
  /** Used only when the migrator creates the role (LOGIN PASSWORD ...). */
  readonly password?: string;
}

/** A policy and how to apply it: `Migrator` options and `readPrivileges`. */
export interface PrivilegeSettings {
  readonly policy: PrivilegePolicy;
  /** The database role of each key of `policy.roles`. */
  readonly roles: Readonly<Record<string, PolicyRole>>;
  /** Create missing roles (LOGIN) when the migration role may (superuser or CREATEROLE). Default false. */
  readonly createRoles?: boolean;
}

/** Identity function that type-checks a policy file. */
export function definePrivilegePolicy<P extends PrivilegePolicy>(policy: P): P {
  return policy;
}

/** Throws a usage error for a policy that cannot mean anything: unknown schema, privilege, role key. */
export function validatePrivilegeSettings(settings: PrivilegeSettings): void {
  const { policy, roles } = settings;
  const fail = (msg: string) => {
    throw new MigratorError('invalid_config', `privilege policy: ${msg}`);
  };
  const names = new Map<string, string>();
  for (const [key, grants] of Object.entries(policy.roles)) {
    const role = roles[key];
    if (!role?.name) fail(`role "${key}" has no database role name configured`);
    const other = names.get(role!.name);
    if (other) fail(`roles "${other}" and "${key}" are both configured as database role ${role!.name}; give each service its own role`);
    names.set(role!.name, key);
    for (const [schema, tables] of Object.entries(grants)) {
      if (!policy.schemas.includes(schema)) fail(`role "${key}" is granted schema "${schema}", which is not in the policy's schemas (${policy.schemas.join(', ')})`);
      for (const [table, grant] of Object.entries(tables)) {
        const where = `role "${key}", ${schema}.${table}`;
        if (Array.isArray(grant)) {
          for (const p of grant) if (!TABLE_PRIVILEGES.includes(p)) fail(`${where}: unknown privilege "${String(p)}" (use ${TABLE_PRIVILEGES.join(', ')})`);
          continue;
        }
        for (const [p, spec] of Object.entries(grant as Record<string, unknown>)) {
          if (!TABLE_PRIVILEGES.includes(p as TablePrivilege)) fail(`${where}: unknown privilege "${p}" (use ${TABLE_PRIVILEGES.join(', ')})`);
          if (spec === true) continue;
          if (p === 'delete') fail(`${where}: delete applies to whole rows; give true, not columns`);
          const cols = spec as Partial<{ columns: unknown; except: unknown }>;
          if (!Array.isArray(cols?.columns) && !Array.isArray(cols?.except)) fail(`${where}: ${p} takes true, { columns: [...] } or { except: [...] }`);
        }
      }
    }
  }
}
