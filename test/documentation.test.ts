import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES } from '../src/config/config';

const ROOT = path.resolve(__dirname, '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

function envExampleVariables(): Map<string, string> {
  const vars = new Map<string, string>();
  const lines = read('.env.example').split('\n');
  lines.forEach((line, i) => {
    const match = /^([A-Z][A-Z0-9_]*)=/.exec(line);
    if (match) vars.set(match[1], lines[i - 1] ?? '');
  });
  return vars;
}

describe('.env.example and docker-compose.yml stay true to the code', () => {
  it('.env.example lists every variable the service reads, each under a comment, and nothing else', () => {
    const documented = envExampleVariables();
    expect([...documented.keys()].sort()).toEqual([...CONFIG_VARIABLES].sort());
    for (const [name, previous] of documented) {
      expect({ name, commented: previous.startsWith('#') || /^[A-Z_]+=/.test(previous) }).toEqual({ name, commented: true });
    }
  });

  it('docker-compose.yml gives the service only known variables, runtime through the pooler and migrations direct', () => {
    const compose = parse(read('docker-compose.yml'), { merge: true });
    const env: Record<string, string> = compose['x-service-env'];
    for (const name of Object.keys(env)) expect(CONFIG_VARIABLES).toContain(name);
    expect(new URL(env.DATABASE_URL).hostname).toBe('pgbouncer');
    expect(new URL(env.MIGRATION_DATABASE_URL).hostname).toBe('postgres');
    expect(compose.services.pgbouncer.environment.POOL_MODE).toBe('transaction');
    expect(compose.services.auth.environment).toEqual(env);
    expect(compose.services.migrate.environment).toEqual(env);
  });

  it('docker-compose.yml does not run in a fail-open mode: production, and no start without a key and a secret', () => {
    const compose = parse(read('docker-compose.yml'), { merge: true });
    const env: Record<string, string> = compose['x-service-env'];
    expect(env.NODE_ENV).toBe('production');
    // Compose's ${VAR:?message} refuses to start when the variable is unset or empty.
    expect(env.TOKEN_SECRET).toMatch(/^\$\{TOKEN_SECRET:\?.+\}$/);
    expect(env.JWT_PRIVATE_KEY).toMatch(/^\$\{JWT_PRIVATE_KEY:\?.+\}$/);
  });

  it('the README configuration table names every variable', () => {
    const readme = read('README.md');
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Project layout'));
    const missing = CONFIG_VARIABLES.filter((name) => {
      // A row may group variables: `JWT_PREVIOUS_PUBLIC_KEYS` / `_FILE`.
      const base = name.replace(/_FILE$/, '');
      return !table.includes(name) && !(name.endsWith('_FILE') && table.includes(`\`${base}\` / \`_FILE\``));
    });
    expect(missing).toEqual([]);
  });
});
