/**
 * The PostgreSQL schema that holds the auth service's tables and enum types; every table the
 * auth service adds later goes here too. Raw SQL in src/auth names it explicitly (auth.users):
 * a transaction pooler gives no session on which a search_path could be relied upon.
 */
export const AUTH_SCHEMA = 'auth';

/**
 * The audit log's partitions and their maintenance functions (migration 1796662452310). Nobody
 * reads or writes a partition directly: rows go through auth.audit_events, and the privilege
 * policy grants no table here, only USAGE to auth (to call auth_audit.maintain).
 */
export const AUTH_AUDIT_SCHEMA = 'auth_audit';
