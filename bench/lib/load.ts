// autocannon ships no types; this is the part of its API the benchmarks use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<AutocannonResult>;

interface Histogram {
  average: number;
  p50: number;
  p99: number;
  max: number;
}
interface AutocannonResult {
  duration: number;
  latency: Histogram;
  requests: Histogram & { total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  statusCodeStats: Record<string, { count: number }>;
}

export interface LoadResult {
  /** Successful (2xx) responses per second over the run. */
  rps: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  ok: number;
  non2xx: number;
  errors: number;
  status_codes: Record<string, number>;
  duration_s: number;
  /** What `measure` recorded over the counted run (not the warm-up), when given. */
  measured?: Record<string, number>;
}

/** One request of a run: autocannon's shape (setupRequest may return a changed request). */
export interface LoadRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: { body?: string; headers?: Record<string, string> }, context: Record<string, unknown>) => unknown;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}

/**
 * Runs autocannon against `url` with `connections` concurrent connections for `durationS`
 * seconds after `warmupS` seconds of the same traffic that are not counted.
 */
export async function load(opts: {
  url: string;
  connections: number;
  durationS: number;
  warmupS?: number;
  request: LoadRequest;
  /** Called after the warm-up; the function it returns is called when the counted run ends. */
  measure?: () => Promise<() => Promise<object>>;
}): Promise<LoadResult> {
  const run = (duration: number) =>
    autocannon({
      url: opts.url,
      connections: opts.connections,
      duration,
      timeout: 30,
      requests: [opts.request],
    });
  if (opts.warmupS) await run(opts.warmupS);
  const finish = await opts.measure?.();
  const r = await run(opts.durationS);
  const measured = finish && ((await finish()) as Record<string, number>);
  return {
    rps: r['2xx'] / r.duration,
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    max_ms: r.latency.max,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    status_codes: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, Number(v.count)])),
    duration_s: r.duration,
    ...(measured ? { measured } : {}),
  };
}
