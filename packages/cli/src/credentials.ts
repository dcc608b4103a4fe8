import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { CliError } from './errors';

/**
 * Where `cathouse login` keeps its session: one JSON file, readable by its owner only (0600, in a
 * 0700 folder), written atomically. The folder is CATHOUSE_CONFIG_DIR, else $XDG_CONFIG_HOME/cathouse,
 * else ~/.config/cathouse. It holds the refresh token: treat it like an SSH key.
 */
export interface StoredSession {
  server: string;
  refresh_token: string;
  access_token: string;
  /** Seconds since the epoch. */
  access_token_expires_at: number;
  email?: string;
}

export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.CATHOUSE_CONFIG_DIR) return env.CATHOUSE_CONFIG_DIR;
  return path.join(env.XDG_CONFIG_HOME || path.join(homedir(), '.config'), 'cathouse');
}

export function credentialsFile(env: NodeJS.ProcessEnv): string {
  return path.join(configDir(env), 'credentials.json');
}

export async function loadSession(env: NodeJS.ProcessEnv): Promise<StoredSession | undefined> {
  let text: string;
  try {
    text = await readFile(credentialsFile(env), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as StoredSession;
  } catch {
    throw new CliError(`${credentialsFile(env)} is not valid JSON: delete it and run cathouse login again`);
  }
}

export async function saveSession(env: NodeJS.ProcessEnv, session: StoredSession): Promise<void> {
  const file = credentialsFile(env);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  // Created 0600 (not chmod'ed after): the refresh token is never readable by others, even for a moment.
  await writeFile(tmp, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

export async function deleteSession(env: NodeJS.ProcessEnv): Promise<void> {
  await rm(credentialsFile(env), { force: true });
}
