import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux the bench runs on). */
const CLK_TCK = 100;

/** Fields 14-17 of /proc/PID/stat (utime, stime, cutime, cstime), in ticks; undefined if the process is gone. */
function cpuTicks(pid: number): { self: number; children: number; ppid: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces; everything after its closing parenthesis is numeric.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const n = (i: number) => Number(fields[i - 3]);
  return { ppid: n(4), self: n(14) + n(15), children: n(16) + n(17) };
}

/**
 * CPU time (ms) that a PostgreSQL server has used so far: the postmaster, every live child
 * (backends, walwriter, checkpointer, autovacuum...), and the children that have exited (the
 * postmaster reaps them, so they count in its cutime/cstime). Differences of two readings give
 * the server's CPU over an interval, which is what "PostgreSQL CPU per request" divides.
 */
export function postgresCpuMs(dataDir: string): number {
  const postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const root = cpuTicks(postmaster);
  if (!root) throw new Error(`PostgreSQL's postmaster (pid ${postmaster}) is not running`);
  let ticks = root.self + root.children;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const p = cpuTicks(Number(entry));
    if (p && p.ppid === postmaster) ticks += p.self;
  }
  return (ticks * 1000) / CLK_TCK;
}

/** CPU time (ms) a process has used so far (user + system), from /proc/PID/stat. */
export function processCpuMs(pid: number): number {
  const p = cpuTicks(pid);
  if (!p) throw new Error(`process ${pid} is not running`);
  return (p.self * 1000) / CLK_TCK;
}

/** Resident set size now and its peak (VmHWM) of a process, in MiB, from /proc/PID/status. */
export function processMemory(pid: number): { rss_mib: number; peak_rss_mib: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss_mib: kib('VmRSS') / 1024, peak_rss_mib: kib('VmHWM') / 1024 };
}

/** The server's WAL insert position, as a byte count (pg_current_wal_insert_lsn() - '0/0'). */
export async function walBytes(client: Client): Promise<number> {
  const { rows } = await client.query<{ bytes: string }>(`SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint AS bytes`);
  return Number(rows[0]!.bytes);
}

/** Full-page images written to the WAL so far (pg_stat_wal; backends report theirs at least every second). */
async function walFullPageImages(client: Client): Promise<number> {
  const { rows } = await client.query<{ fpi: string }>(`SELECT wal_fpi AS fpi FROM pg_stat_wal`);
  return Number(rows[0]!.fpi);
}

export interface DatabaseCost {
  /** WAL written during the interval, in bytes. */
  wal_bytes: number;
  /**
   * Full-page images among it: the first change to each page after a checkpoint logs the whole
   * 8 kB page. What makes a write path's WAL grow with the table it writes into (each insert into a
   * big index lands on a page not yet touched since the checkpoint) while its row stays the same.
   */
  wal_fpi: number;
  /** CPU time of every PostgreSQL process during the interval, in ms. */
  postgres_cpu_ms: number;
  /** CPU time of the service process during the interval, in ms (when its pid is given). */
  service_cpu_ms?: number;
}

/**
 * Measures what the database spends over an interval: call it before, and the function it
 * returns after. One extra connection (opened here, closed by the finisher); starts with a CHECKPOINT.
 */
export async function startDatabaseCost(adminUrl: string, dataDir: string, servicePid?: number): Promise<() => Promise<DatabaseCost>> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  // Every interval starts from a checkpoint, so that each pays the full-page images of the pages
  // it touches first (as after any checkpoint in production), and none pays for a checkpoint that
  // happens to fall inside it: with ~200 bytes of WAL per rotation, one stray round of full-page
  // images tripled a run's figure.
  await client.query('CHECKPOINT');
  const wal0 = await walBytes(client);
  const fpi0 = await walFullPageImages(client);
  const cpu0 = postgresCpuMs(dataDir);
  const service0 = servicePid ? processCpuMs(servicePid) : 0;
  return async () => {
    const cpu1 = postgresCpuMs(dataDir);
    const service = servicePid ? { service_cpu_ms: processCpuMs(servicePid) - service0 } : {};
    try {
      const wal = (await walBytes(client)) - wal0;
      // Give the backends' WAL statistics their flush (at most a second apart) before reading them.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      return { wal_bytes: wal, wal_fpi: (await walFullPageImages(client)) - fpi0, postgres_cpu_ms: cpu1 - cpu0, ...service };
    } finally {
      await client.end();
    }
  };
}
