import { performance } from 'node:perf_hooks';

export interface Sample {
  /** Milliseconds since the traffic started, when the request was sent. */
  readonly start: number;
  readonly end: number;
  readonly ms: number;
  /** HTTP status, or 0 when no response arrived (connection error or client timeout). */
  readonly status: number;
  readonly label: string;
  readonly error?: string;
  readonly body?: string;
}

export interface TrafficOptions {
  /** Parallel request loops. */
  concurrency: number;
  /** Stop sending after this long... */
  durationMs: number;
  /** ...or after this many requests, whichever comes first. */
  maxRequests: number;
  /** Sends one request; `worker` is the loop's index, `i` the request's sequence number. */
  send: (worker: number, i: number) => Promise<Omit<Sample, 'start' | 'end' | 'ms'>>;
}

/**
 * Steady traffic for a bounded time and count: `concurrency` loops, each sending its next request
 * when the previous one answered. Every request is recorded with its timing and outcome.
 */
export async function runTraffic(options: TrafficOptions): Promise<Sample[]> {
  const t0 = performance.now();
  const samples: Sample[] = [];
  let sent = 0;
  const loop = async (worker: number) => {
    while (performance.now() - t0 < options.durationMs && sent < options.maxRequests) {
      const i = sent++;
      const start = performance.now() - t0;
      let outcome: Omit<Sample, 'start' | 'end' | 'ms'>;
      try {
        outcome = await options.send(worker, i);
      } catch (err) {
        outcome = { status: 0, label: 'error', error: (err as Error).message };
      }
      const end = performance.now() - t0;
      samples.push({ ...outcome, start, end, ms: end - start });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, w) => loop(w)));
  return samples;
}

/** fetch with a hard client-side limit, so a hung server shows up as status 0 instead of hanging the test. */
export async function timedFetch(
  url: string,
  init: RequestInit & { timeoutMs: number },
): Promise<{ status: number; body: string; headers: Headers }> {
  const { timeoutMs, ...rest } = init;
  const response = await fetch(url, { ...rest, signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

/** Counts per label and status, e.g. `{ "ready 200": 120, "ready 503": 40 }`, for the printed summary. */
export function tally(samples: readonly Sample[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of samples) {
    const key = `${s.label} ${s.status}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** One line a person reads in the test output: what was measured. */
export function report(test: string, measured: Record<string, unknown>): void {
  process.stdout.write(`[reliability] ${test}: ${JSON.stringify(measured)}\n`);
}
