import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

/** Variables that would point a child at the developer's own database or .env settings. */
const NEUTRAL_ENV = {
  DATABASE_URL: '',
  MIGRATION_DATABASE_URL: '',
  JWT_PRIVATE_KEY: '',
  JWT_PRIVATE_KEY_FILE: '',
  JWT_PREVIOUS_PUBLIC_KEYS: '',
  JWT_PREVIOUS_PUBLIC_KEYS_FILE: '',
  CORS_ORIGINS: '',
  SMTP_URL: '',
  // Test addresses use the reserved .example TLD, which the service refuses by default (as test/support/env.ts says).
  EMAIL_REFUSED_TLDS: 'invalid,localhost,test',
};

export interface Spawned {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<string>;
}

/** Spawns a command from the repository root in its own process group, capturing its output. */
export function spawnInRepo(command: string, args: string[], env: Record<string, string>): Spawned {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...NEUTRAL_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    listeners.forEach((l) => l());
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return {
    child,
    output: () => output,
    exited,
    waitForOutput: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (match) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(match[0]);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; output:\n${output}`));
        }, timeoutMs);
        listeners.add(check);
        check();
        void exited.then(() => {
          if (listeners.has(check)) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`process exited before printing ${pattern}; output:\n${output}`));
          }
        });
      }),
  };
}

/** Sends a signal to the whole process group, as Ctrl-C in a terminal does. */
export function signalGroup(spawned: Spawned, signal: NodeJS.Signals): void {
  try {
    process.kill(-spawned.child.pid!, signal);
  } catch {
    // already gone
  }
}
