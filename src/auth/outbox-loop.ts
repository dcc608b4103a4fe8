/**
 * The loop both outboxes (mail, security events) run: claim a batch of due rows, deliver them,
 * look again after `pollIntervalMs` or at once when `again(claimed)` says more may be due. One
 * pass at a time per instance; a nudge during a pass still gets a pass of its own, since what it
 * announces may have committed after that pass claimed. Rows are shared between instances by the
 * claim (a lease in the table), not by this loop.
 */
export interface OutboxLoop {
  /** Look now (something was just written). */
  nudge(): void;
  /** Deliver until nothing is due (tests, shutdown). */
  drain(): Promise<void>;
  /** Stop looking; waits for the pass under way. */
  stop(): Promise<void>;
}

export function startOutboxLoop<Row>({
  claim,
  deliver,
  again,
  pollIntervalMs,
  onDeliveryError,
  onPollError,
}: {
  claim: () => Promise<Row[]>;
  deliver: (row: Row) => Promise<void>;
  /** Whether to look again at once after a pass that claimed `claimed` rows. */
  again: (claimed: number) => boolean;
  pollIntervalMs: number;
  onDeliveryError: (err: unknown, row: Row) => void;
  onPollError: (err: unknown) => void;
}): OutboxLoop {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = false;

  /** One pass: claims a batch and delivers it; resolves to how many were claimed. */
  async function pass(): Promise<number> {
    try {
      const rows = await claim();
      await Promise.all(rows.map((row) => deliver(row).catch((err: unknown) => onDeliveryError(err, row))));
      return rows.length;
    } catch (err) {
      onPollError(err);
      return 0;
    }
  }

  function runPass(): Promise<number> {
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  }

  function schedule(delayMs: number) {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      void Promise.resolve(running)
        .then(runPass)
        .then((claimed) => schedule(again(claimed) ? 0 : pollIntervalMs));
    }, delayMs);
    timer.unref();
  }
  schedule(0);

  return {
    nudge: () => schedule(0),
    async drain() {
      await running;
      while ((await runPass()) > 0) {
        /* keep going while rows are due */
      }
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
