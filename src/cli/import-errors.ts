import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { MigratorError } from '@cathouse/migrator/read';

/**
 * The entities of every service are loaded (compiled) when a command opens the migration
 * DataSource. When one fails to load, a user needs one line: which package, which file and line,
 * what went wrong, and what to check; not a compiler's code frame and a Node stack trace.
 */
const ROOT = path.resolve(__dirname, '../..');
const rel = (file: string) => path.relative(process.cwd(), file) || file;

/** The package a file belongs to: the name in its nearest package.json (the service itself at the root). */
function packageOf(file: string): string {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    try {
      const name = (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name;
      return dir === ROOT ? 'the service (src)' : (name ?? rel(dir));
    } catch {
      return rel(dir);
    }
  }
  return 'the service';
}

/** The first stack frame in the project (not node_modules or node:internal): where a module threw while loading. */
function projectFrame(err: Error): { file: string; line: number } | undefined {
  for (const m of (err.stack ?? '').matchAll(/\(?((?:\/|[A-Za-z]:\\)[^():]+):(\d+):\d+\)?/g)) {
    const file = m[1]!;
    if (!file.includes(`${path.sep}node_modules${path.sep}`) && file.startsWith(ROOT)) return { file, line: Number(m[2]) };
  }
  return undefined;
}

/** Maps a failure to load the entity modules to the one-line error, exit 2. */
export function entityImportError(err: unknown): MigratorError {
  const e = err as Error & { code?: string; file?: string; line?: number; path?: string; requireStack?: string[] };
  const fail = (where: string, cause: string, check: string) =>
    new MigratorError('import_failed', `cannot load the entities: ${where}: ${cause}; ${check}`, {}, { cause: err });
  if (e?.name === 'SyntaxError' && e.file) {
    const cause = e.message.slice(e.message.indexOf(': ', e.file.length) + 2);
    return fail(`${packageOf(e.file)}, ${rel(e.file)}:${e.line ?? '?'}`, `syntax error: ${cause}`, 'fix that file (npx tsc --noEmit -p . lists every error)');
  }
  if (e?.code === 'MODULE_NOT_FOUND' && e.path?.endsWith('package.json')) {
    const missing = /Cannot find module '([^']+)'/.exec(e.message)?.[1] ?? '(its main)';
    return fail(
      `${packageOf(e.path)}, ${rel(e.path)}`,
      `its "main" points at ${rel(missing)}, which does not exist`,
      'check "main" in that package.json (or build the package if main points at compiled output)',
    );
  }
  if (e?.code === 'MODULE_NOT_FOUND') {
    const missing = /Cannot find module '([^']+)'/.exec(e.message)?.[1] ?? '?';
    const from = e.requireStack?.[0];
    return fail(
      from ? `${packageOf(from)}, ${rel(from)}` : 'an entity module',
      `it imports '${missing}', which cannot be found`,
      'check the import path, and that the package is installed (npm install)',
    );
  }
  const frame = e instanceof Error ? projectFrame(e) : undefined;
  return fail(
    frame ? `${packageOf(frame.file)}, ${rel(frame.file)}:${frame.line}` : 'an entity module',
    `${e?.name ?? 'Error'} while loading: ${e?.message ?? String(err)}`,
    'check that file',
  );
}
