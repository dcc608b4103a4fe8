/**
 * Checks `condition` every `intervalMs` until it returns a value other than undefined/false, and
 * returns that value; fails naming `what` once `timeoutMs` has passed. Used instead of fixed
 * sleeps, so a test waits only as long as it must and a slow machine is not a false failure.
 */
export async function pollUntil<T>(
  what: string,
  condition: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 10_000, intervalMs = 20 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
