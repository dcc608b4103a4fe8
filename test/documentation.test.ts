import { readFileSync } from 'node:fs';
import path from 'node:path';
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

describe('.env.example and the README stay true to the code', () => {
  it('.env.example lists every variable the service reads, each under a comment, and nothing else', () => {
    const documented = envExampleVariables();
    expect([...documented.keys()].sort()).toEqual([...CONFIG_VARIABLES].sort());
    for (const [name, previous] of documented) {
      expect({ name, commented: previous.startsWith('#') || /^[A-Z_]+=/.test(previous) }).toEqual({ name, commented: true });
    }
  });

  // docker-compose.yml and the Dockerfile against the code: test/docs/docker-files.test.ts.

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
