import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './service-process';

/**
 * The command behind `npm run migrate`, read from package.json: tests and benchmarks run exactly
 * what the script runs, without npm's own start-up in between. `loaderArgs` are the node options
 * before the entry file (the TypeScript loader), for running another tool the same way.
 */
export function migrateCommand(cliArgs: readonly string[]): { command: string; args: string[]; loaderArgs: string[] } {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const script = pkg.scripts.migrate;
  if (!script) throw new Error('package.json has no "migrate" script');
  const [node, ...rest] = script.split(/\s+/).filter(Boolean);
  if (node !== 'node') throw new Error(`expected the migrate script to start with node: ${script}`);
  const entry = rest.findIndex((a, i) => !a.startsWith('-') && rest[i - 1] !== '-r' && rest[i - 1] !== '--require');
  if (entry < 0) throw new Error(`no entry file in the migrate script: ${script}`);
  return { command: process.execPath, args: [...rest, ...cliArgs], loaderArgs: rest.slice(0, entry) };
}
