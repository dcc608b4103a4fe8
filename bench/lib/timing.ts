import { spawn } from 'node:child_process';
import { REPO_ROOT } from '../../test/reliability/support/service-process';

export interface TimedRun {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded by `timeoutMs`) and measures its wall time. */
export function timeCommand(
  command: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
  timeoutMs = 300_000,
): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout = (stdout + d).slice(-20_000)));
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-20_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - started, code, stdout, stderr });
    });
  });
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Throws with the command's output when it did not exit 0. */
export function expectSuccess(what: string, run: TimedRun): TimedRun {
  if (run.code !== 0) throw new Error(`${what} exited ${run.code}: ${(run.stderr || run.stdout).trim().slice(-600)}`);
  return run;
}
