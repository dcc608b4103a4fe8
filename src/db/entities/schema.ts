/**
 * The PostgreSQL schema that holds the auth service's tables and enum types; every table the
 * auth service adds later goes here too. Raw SQL in src/auth names it explicitly (auth.users):
 * a transaction pooler gives no session on which a search_path could be relied upon.
 */
export const AUTH_SCHEMA = 'auth';
