/** A failure to start the embedded server: one line naming the path and the fix. */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}
