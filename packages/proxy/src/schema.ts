/** The PostgreSQL schema that holds the proxy service's tables. */
export const PROXY_SCHEMA = 'proxy';
