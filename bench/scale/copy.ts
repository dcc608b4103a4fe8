import { once } from 'node:events';
import type { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** A fast deterministic generator (mulberry32): the same seed gives the same database. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A version-4 UUID from `rnd` (deterministic, unlike crypto.randomUUID). */
export function uuid(rnd: () => number): string {
  const word = () => (rnd() * 4294967296) >>> 0;
  const hex = (x: number, n: number) => x.toString(16).padStart(n, '0');
  const a = word();
  const b = ((word() & 0xffff0fff) | 0x00004000) >>> 0;
  const c = ((word() & 0x3fffffff) | 0x80000000) >>> 0;
  const d = word();
  return `${hex(a, 8)}-${hex(b >>> 16, 4)}-${hex(b & 0xffff, 4)}-${hex(c >>> 16, 4)}-${hex(c & 0xffff, 4)}${hex(d, 8)}`;
}

/** `n` random bytes as COPY's text form of a bytea (\\x...). */
export function bytea(rnd: () => number, n: number): string {
  let s = '\\\\x';
  for (let i = 0; i < n; i++) s += HEX[Math.floor(rnd() * 256)]!;
  return s;
}

/** A timestamptz in COPY's text form. */
export const ts = (ms: number) => new Date(ms).toISOString();

/** COPY's NULL. */
export const NULL = '\\N';

/**
 * Streams `count` rows into `table (columns)` with COPY ... FROM STDIN (text format), `row(i)`
 * giving each row's fields already in COPY's text form (no tab, newline or backslash unless
 * escaped). Written in chunks with the stream's backpressure, so memory stays flat.
 */
export async function copyRows(client: Client, table: string, columns: readonly string[], count: number, row: (i: number) => readonly string[]): Promise<void> {
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  const finished = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  const CHUNK = 5_000;
  for (let start = 0; start < count; start += CHUNK) {
    let text = '';
    for (let i = start; i < Math.min(count, start + CHUNK); i++) text += row(i).join('\t') + '\n';
    if (!stream.write(text)) await Promise.race([once(stream, 'drain'), finished]);
  }
  stream.end();
  await finished;
}
