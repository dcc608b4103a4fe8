/**
 * The login benchmark's baseline, in a process of its own like the service: bare
 * bcrypt.compare of a correct password at COST, CONCURRENCY at a time, for DURATION_S seconds,
 * with the thread-pool size the caller put in UV_THREADPOOL_SIZE. Prints one JSON line.
 */
import bcrypt from 'bcrypt';

async function main(): Promise<void> {
  const cost = Number(process.env.COST ?? 12);
  const concurrency = Number(process.env.CONCURRENCY ?? 16);
  const durationS = Number(process.env.DURATION_S ?? 10);
  const warmupS = Number(process.env.WARMUP_S ?? 2);
  const password = 'correct horse battery staple';
  const hash = await bcrypt.hash(password, cost);

  const run = async (seconds: number) => {
    const started = performance.now();
    const until = started + seconds * 1000;
    let done = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) {
          if (!(await bcrypt.compare(password, hash))) throw new Error('bcrypt.compare rejected the right password');
          done++;
        }
      }),
    );
    return { done, seconds: (performance.now() - started) / 1000 };
  };
  await run(warmupS);
  const { done, seconds } = await run(durationS);
  process.stdout.write(
    JSON.stringify({ per_s: done / seconds, compares: done, seconds, cost, concurrency, uv_threadpool_size: process.env.UV_THREADPOOL_SIZE ?? '4 (default)' }) + '\n',
  );
}

void main();
