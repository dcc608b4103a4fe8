/** The PostgreSQL schema that holds the installation service's tables and enum types. */
export const INSTALLATION_SCHEMA = 'installation';
