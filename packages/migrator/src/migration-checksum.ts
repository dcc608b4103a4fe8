import { createHash } from 'node:crypto';
import type { ClassLike } from './migration-load';
import { literalsOf, tokensOf } from './source-scan';

/**
 * A migration's checksum is made of what it sends, not of how its file is written: its name and
 * the string values of its class (the SQL, in order, runs of whitespace folded). Reformatting the
 * file, changing quotes, or compiling it (to CommonJS, to ES5, through tsc or swc) keeps it; a
 * changed statement changes it. The text scan of a file and the loaded class give the same value.
 * Code that builds SQL from other values (numbers, module-level constants) is not covered.
 */
export function checksumOfLiterals(name: string, literals: readonly string[]): string {
  const own = literals.indexOf(name);
  const body = literals.filter((_, i) => i !== own).map((l) => l.replace(/\s+/g, ' ').trim());
  return createHash('sha256').update(['migration/2', name, ...body].join('\0')).digest('hex');
}

/** The checksum of a loaded migration class (ES classes: their text; ES5: the constructor and each prototype method). */
export function checksumOfClass(name: string, cls: ClassLike): string {
  return checksumOfLiterals(name, classLiterals(cls));
}

export function classLiterals(cls: ClassLike): string[] {
  const text = Function.prototype.toString.call(cls);
  const parts = [text];
  if (!/^class\b/.test(text)) {
    for (const key of Object.getOwnPropertyNames(cls.prototype ?? {})) {
      const value = key === 'constructor' ? undefined : Object.getOwnPropertyDescriptor(cls.prototype, key)?.value;
      if (typeof value === 'function') parts.push(Function.prototype.toString.call(value));
    }
  }
  return parts.flatMap((p) => literalsOf(tokensOf(p)));
}

/**
 * The checksum before version 2: sha256 of the file's text (line endings normalized). Histories
 * recorded with it are adopted: a recorded legacy checksum that matches the file is re-recorded
 * in the new form by the next write (up, stamp), never reported as a change.
 */
export function legacyChecksumOf(source: string): string {
  return createHash('sha256').update(source.replace(/\r\n/g, '\n')).digest('hex');
}
