export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __embeddedPg?: { stop(): Promise<void> } }).__embeddedPg;
  const browser = (globalThis as { __sharedBrowser?: { close(): Promise<void> } }).__sharedBrowser;
  await Promise.all([server?.stop(), browser?.close()]);
}
