import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../..');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment a child CLI sees: only what the test sets, never the developer's .env values. */
export function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    TOKEN_SECRET: 'test-secret-test-secret-test-secret-0123',
    ...env,
  };
}

export function start(command: string, args: string[], env: Record<string, string>): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(command, args, { cwd: ROOT, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

/** `npm run migrate -- <args>` as a developer or a deploy runs it. */
export function migrate(args: string[], env: Record<string, string>) {
  return start('node', ['-r', './src/cli/register-ts.js', 'src/cli/main.ts', ...args], env);
}

/** An npm script, e.g. `npm run migration:run`, exactly as package.json defines it. */
export function npmRun(script: string, env: Record<string, string>, args: string[] = []) {
  return start('npm', ['run', '--silent', script, ...(args.length ? ['--', ...args] : [])], env);
}
