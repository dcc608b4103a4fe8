// The schema constants alone, not the packages' entry points: `migrate -- status` reads this
// file and starts without loading TypeORM or any entity.
import { CATALOG_SCHEMA } from '@cathouse/catalog/schema';
import { INSTALLATION_SCHEMA } from '@cathouse/installation/schema';
import { definePrivilegePolicy, type PrivilegeSettings } from '@cathouse/migrator/read';
import { PROXY_SCHEMA } from '@cathouse/proxy/schema';
import type { MigrationConfig } from '../config/config';
import { AUTH_AUDIT_SCHEMA, AUTH_SCHEMA } from './entities/schema';
import { MIGRATIONS_SCHEMA } from './migration-paths';

/**
 * Who may touch what in the shared database: the one reviewed place where a service's database
 * privileges are decided. `npm run migrate -- up` applies it after the migrations, under the
 * migration lock; `check` and `status` fail when the database differs (a grant added by hand, one
 * missing) and print the SQL that fixes it. To give a service a new privilege, change this file
 * in a pull request; the next `up` applies it (docs/migrations.md, "Roles and privileges").
 *
 * Keys are services; each service's login role is named in configuration (DB_ROLE_AUTH, ...).
 * `'*'` is every table of the schema, including tables made later. No role is ever granted DDL,
 * TRUNCATE, REFERENCES or TRIGGER, or CREATE on a schema: only the migration role changes the schema.
 * Secrets (password_hash, token_hash, service_clients' secret hashes) are readable by auth alone: the other services get column
 * privileges that leave them out, and tables of auth are listed one by one, so a new auth table
 * is invisible to them until this file says otherwise. The same holds for columns (issue 22 L5):
 * every grant of another service on an auth table is an allow-list (`columns`), never `except`,
 * which would hand a new column (a security stamp, a secret) to that service at the next `up`.
 */
/** Every row privilege: the runtime's own tables. */
const RW = ['select', 'insert', 'update', 'delete'] as const;

export const privilegePolicy = definePrivilegePolicy({
  schemas: [AUTH_SCHEMA, AUTH_AUDIT_SCHEMA, CATALOG_SCHEMA, INSTALLATION_SCHEMA, PROXY_SCHEMA, MIGRATIONS_SCHEMA],
  roles: {
    // The auth runtime: its own tables, rows only; the history for /ready.
    auth: {
      // Table by table (no '*'), because a '*' grant cannot leave one table out: the audit log is
      // append-only for the role that writes it (issue 22 M6), SELECT and INSERT of everything but
      // the id and time a trigger sets. A new auth table needs its line here (until then the
      // runtime gets 42501 on it, loudly, in every test that touches it).
      [AUTH_SCHEMA]: {
        users: RW,
        sessions: RW,
        refresh_tokens: RW,
        account_tokens: RW,
        mail_outbox: RW,
        rate_limits: RW,
        service_clients: RW,
        oidc_models: RW,
        oidc_clients: RW,
        connected_apps: RW,
        // Developer credentials (issue 28).
        device_authorizations: RW,
        personal_access_tokens: RW,
        // Security events, webhooks and Shared Signals streams (issue 29).
        security_events: RW,
        security_event_subjects: RW,
        event_subscriptions: RW,
        event_deliveries: RW,
        // Second factors (issue 26).
        totp_factors: RW,
        recovery_codes: RW,
        webauthn_credentials: RW,
        webauthn_challenges: RW,
        mfa_challenges: RW,
        // Linked provider identities (issue 25).
        identities: RW,
        // One-time codes of the web redirect sign-in (issue 25 item 2).
        redirect_handoffs: RW,
        audit_events: { select: true, insert: { except: ['id', 'occurred_at'] } },
      },
      // USAGE only (an empty list grants no table): what lets auth call auth_audit.maintain(), the
      // retention that drops whole months; the partitions are reached through auth.audit_events.
      [AUTH_AUDIT_SCHEMA]: { '*': [] },
      // Token exchange (issue 12) reads an installation, its grants and its cat's status; the OpenID
      // provider's consent page (issue 27) also shows the cat's name and developer, what each
      // permission is for, and which installation the player grants from.
      [CATALOG_SCHEMA]: {
        cats: { select: { columns: ['id', 'status', 'name', 'developer_id'] } },
        permissions: { select: { columns: ['id', 'permission_type', 'cat_id', 'description'] } },
      },
      [INSTALLATION_SCHEMA]: {
        installations: { select: { columns: ['id', 'user_id', 'cat_id', 'status', 'instance_name'] } },
        installation_permissions: { select: { columns: ['installation_id', 'permission_id', 'granted'] } },
      },
      [MIGRATIONS_SCHEMA]: { migrations: ['select'] },
    },
    // Cats and their permissions; who a developer is (role, active), never email or password.
    catalog: {
      [CATALOG_SCHEMA]: { '*': ['select', 'insert', 'update', 'delete'] },
      [AUTH_SCHEMA]: { users: { select: { columns: ['id', 'role', 'display_name', 'is_active'] } } },
      [MIGRATIONS_SCHEMA]: { migrations: ['select'] },
    },
    // Installations; reads the catalog it installs from and the user's role.
    installation: {
      [INSTALLATION_SCHEMA]: { '*': ['select', 'insert', 'update', 'delete'] },
      [CATALOG_SCHEMA]: { '*': ['select'] },
      [AUTH_SCHEMA]: { users: { select: { columns: ['id', 'role', 'display_name', 'is_active'] } } },
      [MIGRATIONS_SCHEMA]: { migrations: ['select'] },
    },
    // The proxy appends to its audit log (never rewrites it) and reads the others, secrets excepted.
    proxy: {
      [PROXY_SCHEMA]: { '*': ['select', 'insert'] },
      [CATALOG_SCHEMA]: { '*': ['select'] },
      [INSTALLATION_SCHEMA]: { '*': ['select'] },
      // Named column by column (issue 22 L5): the columns these tables were made with, hashes excepted.
      // Columns added since (email_verified_at, deleted_at, security_stamp, the refresh-token state
      // of sessions) are not granted; a new column is granted only by adding it here. (Columns that
      // a later migration adds cannot be listed without breaking `up` to an earlier target.)
      [AUTH_SCHEMA]: {
        users: { select: { columns: ['id', 'email', 'role', 'display_name', 'is_active', 'created_at', 'updated_at'] } },
        sessions: { select: { columns: ['id', 'user_id', 'created_at', 'last_used_at', 'expires_at', 'revoked_at', 'revoked_reason', 'user_agent', 'ip'] } },
        refresh_tokens: { select: { columns: ['id', 'session_id', 'parent_id', 'created_at', 'expires_at', 'used_at'] } },
      },
      [MIGRATIONS_SCHEMA]: { migrations: ['select'] },
    },
  },
});

/**
 * The policy with this deployment's role names. `createRoles` is what configuration asks
 * (MIGRATION_CREATE_ROLES). On the embedded development server (`embeddedRolePassword` given)
 * the roles are always created, with the configured passwords or ones derived from the
 * server's own, so `npm start` and `npm test` need no set-up.
 */
export function privilegeSettings(config: MigrationConfig, { embeddedRolePassword }: { embeddedRolePassword?: (role: string) => string } = {}): PrivilegeSettings {
  const roles = Object.fromEntries(
    Object.entries(config.roles.services).map(([service, r]) => [
      service,
      { name: r.name, password: r.password ?? embeddedRolePassword?.(r.name) },
    ]),
  );
  return { policy: privilegePolicy, roles, createRoles: config.roles.create || embeddedRolePassword !== undefined };
}
