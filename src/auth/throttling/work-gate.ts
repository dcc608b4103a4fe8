import { AppError } from '../../errors/app-error';

export interface WorkGate {
  /**
   * Runs `work` if fewer than the limit are in flight; otherwise throws server_busy (503,
   * Retry-After) at once, having run nothing.
   */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** How many are running now. */
  readonly inFlight: number;
}

/**
 * A bound on expensive work that refuses instead of queueing. bcrypt runs on libuv's thread pool
 * (4 threads by default) and every request waits its turn there: without a bound, a flood of
 * registrations queues hundreds of hashes in front of each login. With one, the excess is told to
 * come back (fast 503) and the queue never grows past the limit.
 */
export function createWorkGate(limit: number, what: string): WorkGate {
  let inFlight = 0;
  return {
    get inFlight() {
      return inFlight;
    },
    async run(work) {
      if (inFlight >= limit) throw busy(what);
      inFlight += 1;
      try {
        return await work();
      } finally {
        inFlight -= 1;
      }
    },
  };
}

/** 503 server_busy with Retry-After 1: the answer of a full gate. */
export function busy(what: string): AppError {
  return new AppError('server_busy', `The service is busy with ${what}; try again in a second.`, {
    headers: { 'retry-after': '1' },
    fields: { retry_after: 1 },
  });
}
