/**
 * Runs `task` about every `intervalMs` until the returned function is called. Each wait is
 * jittered (0.75x to 1.25x) so that several instances started together spread their maintenance
 * out instead of all hitting the database at once; the next wait starts only after the task has
 * finished, so a slow run never overlaps the next. The task handles (logs) its own failures.
 */
export function repeatWithJitter(task: () => Promise<void>, intervalMs: number): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    timer = setTimeout(async () => {
      await task();
      if (!stopped) schedule();
    }, intervalMs * (0.75 + Math.random() * 0.5));
    timer.unref();
  };
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
