/** The PostgreSQL schema that holds the catalog service's tables and enum types. */
export const CATALOG_SCHEMA = 'catalog';
