import type { z } from 'zod';
import { ConfigError } from './config-error';
import { FILE_SECRETS, resolveSecretFiles } from './secret-files';
import { normalizeSslMode } from './ssl-mode';

/**
 * Checks that every loader runs on the raw environment, before or after its schema: one line
 * that names the variable and the fix (shared by parse-config.ts's runtime and migration-config.ts).
 */

/** The schema's first complaint as a ConfigError: the variable, what was expected, and whether it was missing. */
export function issueError(error: z.ZodError, env: NodeJS.ProcessEnv): ConfigError {
  const issue = error.issues[0]!;
  const variable = String(issue.path[0] ?? 'environment');
  const hint = env[variable] === undefined ? 'it is missing' : 'check its value';
  return new ConfigError(variable, `${variable}: ${issue.message} (${hint}; see .env.example)`);
}

/**
 * `docker run --env-file` and compose's `env_file` keep quotes literally (dotenv strips them), so
 * `JWT_PRIVATE_KEY="-----BEGIN..."` arrives with its quotes and fails far from the cause.
 */
export function refuseQuotedValues(env: NodeJS.ProcessEnv, names: readonly string[]): void {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value.length >= 2 && /^(["']).*\1$/s.test(value)) {
      throw new ConfigError(
        name,
        `${name}: the value is wrapped in quotes (docker --env-file and compose env_file keep them): remove the quotes${name.startsWith('JWT_') ? `, or put the key in a file and set ${name}_FILE` : ''}`,
      );
    }
  }
}

/**
 * A password (or user name) with an unencoded `/`, `?` or `#` in a database URL ends the host
 * part early: `postgres://u:p@ss/w@db:5432/x` connects to host "ss" (getaddrinfo ENOTFOUND ss),
 * and `postgres://u:pa/ss@db/x` is no URL at all. Both show as an `@` after the authority ends.
 */
export function checkUrlUserinfo(name: string, value: string | undefined): void {
  if (value === undefined) return;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value);
  if (!scheme) return;
  const rest = value.slice(scheme[0].length);
  const authorityEnd = rest.search(/[/?#]/);
  if (authorityEnd >= 0 && rest.lastIndexOf('@') > authorityEnd) {
    throw new ConfigError(
      name,
      `${name}: the user name or password holds a character that must be percent-encoded in a URL (/ as %2F, ? as %3F, # as %23, @ as %40, : as %3A): encode it, e.g. node -p "encodeURIComponent(process.argv[1])" 'the-password'`,
    );
  }
}

/**
 * The environment a loader validates: `X_FILE` secrets read, quoted values and unencoded URL
 * passwords refused, and sslmode aliases of verify-full written as verify-full (ssl-mode.ts).
 */
export function prepareEnv(raw: NodeJS.ProcessEnv, names: readonly string[]): NodeJS.ProcessEnv {
  const env = resolveSecretFiles(raw, FILE_SECRETS.filter((name) => names.includes(name)));
  refuseQuotedValues(env, names);
  for (const name of ['DATABASE_URL', 'MIGRATION_DATABASE_URL']) {
    if (!names.includes(name)) continue;
    checkUrlUserinfo(name, env[name]);
    env[name] = normalizeSslMode(env[name]);
  }
  return env;
}
