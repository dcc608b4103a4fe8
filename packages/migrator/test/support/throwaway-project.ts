import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * A project that is not this repository: its own folder and node_modules, @cathouse/migrator
 * installed from the tarball `npm pack` made, TypeORM 0.3 or 1.x, and nothing of Cat House.
 *
 * The tarball is installed the way npm lays it out (extracted to node_modules/@cathouse/migrator,
 * its dependencies and peers beside it, its bin in node_modules/.bin) rather than by `npm install`:
 * npm needs the registry's metadata to resolve even a local tarball's dependency ranges, and tests
 * never reach the network. The dependencies are the copies `npm ci` installed for this repository.
 */
const PACKAGE = path.resolve(__dirname, '../..');
const REPO = path.resolve(PACKAGE, '../..');
const SCRATCH = path.join(REPO, 'scratch/migrator-projects');
const run = promisify(execFile);

export type TypeormVersion = 'typeorm' | 'typeorm03';

export interface ProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Project {
  readonly dir: string;
  write(file: string, text: string): string;
  /** `migrator ARGS` through node_modules/.bin, plain node: no TypeScript loader in the process. */
  migrator(args: readonly string[], env?: Record<string, string>): Promise<ProcessResult>;
  /** TypeORM's own CLI, as the project would run it (with ts-node for a TypeScript data source). */
  typeorm(args: readonly string[], env?: Record<string, string>): Promise<ProcessResult>;
  remove(): void;
}

/** Builds and packs the package (scripts/pack.js): the tarball's path. */
export async function packMigrator(): Promise<string> {
  const { stdout } = await run(process.execPath, [path.join(PACKAGE, 'scripts/pack.js')], { cwd: PACKAGE, maxBuffer: 10 << 20 });
  return stdout.trim().split('\n').at(-1)!;
}

/** Where `name` is installed for the package (its own node_modules first, then the repository's). */
function installed(name: string, from = PACKAGE): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === path.dirname(dir)) throw new Error(`${name} is not installed (npm ci)`);
  }
}

export async function throwawayProject(tarball: string, typeorm: TypeormVersion, packageJson: Record<string, unknown> = {}): Promise<Project> {
  const dir = path.join(SCRATCH, randomBytes(6).toString('hex'));
  const modules = path.join(dir, 'node_modules');
  mkdirSync(path.join(modules, '@cathouse'), { recursive: true });
  mkdirSync(path.join(modules, '.bin'), { recursive: true });
  await run('tar', ['xzf', tarball, '-C', path.join(modules, '@cathouse')]);
  const target = path.join(modules, '@cathouse/migrator');
  rmSync(target, { recursive: true, force: true });
  await run('mv', [path.join(modules, '@cathouse/package'), target]);
  const manifest = JSON.parse(readFileSync(path.join(target, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
    bin: Record<string, string>;
  };
  const link = (name: string, from: string) => {
    mkdirSync(path.dirname(path.join(modules, name)), { recursive: true });
    symlinkSync(from, path.join(modules, name));
  };
  for (const dep of Object.keys(manifest.dependencies)) link(dep, installed(dep));
  for (const peer of Object.keys(manifest.peerDependencies)) if (peer !== 'typeorm') link(peer, installed(peer));
  link('typeorm', installed(typeorm, REPO));
  // What a TypeORM project has besides: reflect-metadata, and ts-node for TypeScript migrations.
  for (const extra of ['reflect-metadata', 'ts-node', 'typescript', '@types/node']) link(extra, installed(extra, REPO));
  for (const [name, file] of Object.entries(manifest.bin)) symlinkSync(path.join('..', '@cathouse/migrator', file), path.join(modules, '.bin', name));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'throwaway', version: '1.0.0', private: true, ...packageJson }, null, 2));

  const spawnIn = (args: readonly string[], env: Record<string, string>) =>
    new Promise<ProcessResult>((resolve) => {
      const child = spawn(process.execPath, args, { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  return {
    dir,
    write(file, text) {
      const full = path.join(dir, file);
      mkdirSync(path.dirname(full), { recursive: true });
      writeFileSync(full, text);
      return full;
    },
    migrator: (args, env = {}) => spawnIn([path.join(modules, '.bin/migrator'), ...args], env),
    typeorm: (args, env = {}) => {
      const ts = args.some((a) => a.endsWith('.ts'));
      return spawnIn([...(ts ? ['-r', 'ts-node/register/transpile-only'] : []), path.join(modules, 'typeorm/cli.js'), ...args], env);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
