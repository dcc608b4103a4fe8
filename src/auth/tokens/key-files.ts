import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Where development keys live: `${DATA_DIR}/keys`, readable by the service's user only. */
export function keysDir(dataDir: string): string {
  return path.join(dataDir, 'keys');
}

/**
 * Reads `file`, or creates it with `create()` (mode 0600, in a 0700 directory) when it does not
 * exist. The content is written to a temporary file and then hard-linked into place, which fails
 * if the file appeared meanwhile: two processes starting at once agree on one key, and neither
 * ever reads a half-written file.
 */
export async function readOrCreateSecretFile(file: string, create: () => string): Promise<{ value: string; created: boolean }> {
  try {
    return { value: await readFile(file, 'utf8'), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const value = create();
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, value, { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, file);
    return { value, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { value: await readFile(file, 'utf8'), created: false };
  } finally {
    await unlink(temporary);
  }
}
