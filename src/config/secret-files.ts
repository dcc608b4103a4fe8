import { readFileSync } from 'node:fs';
import { ConfigError } from './config-error';

/**
 * Secrets that may come from a file instead of the environment: `X_FILE=/run/secrets/x` (Docker
 * and Kubernetes secrets, systemd credentials) reads X from that file. JWT_PRIVATE_KEY_FILE and
 * JWT_PREVIOUS_PUBLIC_KEYS_FILE are read by the key loader (src/auth/tokens) and are not listed here.
 */
export const FILE_SECRETS = [
  'DATABASE_URL',
  'MIGRATION_DATABASE_URL',
  'TOKEN_SECRET',
  'TOKEN_NEXT_SECRET',
  'TOKEN_PREVIOUS_SECRETS',
  'SMTP_URL',
  'READY_TOKEN',
  'METRICS_TOKEN',
  'DB_ROLE_AUTH_PASSWORD',
  'DB_ROLE_CATALOG_PASSWORD',
  'DB_ROLE_INSTALLATION_PASSWORD',
  'DB_ROLE_PROXY_PASSWORD',
  'NEON_API_KEY',
] as const;

/** The `_FILE` variables, for the documentation checks (.env.example, README). */
export const FILE_SECRET_VARIABLES: readonly string[] = FILE_SECRETS.map((name) => `${name}_FILE`);

/**
 * A copy of `env` with each `X_FILE` among `names` replaced by X read from that file (one trailing
 * newline dropped, as `echo` and editors add one). Throws ConfigError naming the variable when
 * both are set or the file cannot be read.
 */
export function resolveSecretFiles(env: NodeJS.ProcessEnv, names: readonly string[] = FILE_SECRETS): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const name of names) {
    const file = env[`${name}_FILE`];
    if (file === undefined || file === '') continue;
    if (env[name] !== undefined && env[name] !== '') {
      throw new ConfigError(name, `${name}: set either ${name} or ${name}_FILE, not both`);
    }
    try {
      out[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new ConfigError(`${name}_FILE`, `${name}_FILE: cannot read ${file} (${reason}); give the path of a file the service's user can read`);
    }
    delete out[`${name}_FILE`];
  }
  return out;
}
