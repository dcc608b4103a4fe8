// How a URL's sslmode reaches node-postgres: shared by every place that parses or opens a migration URL.

/**
 * node-postgres 8 checks `sslmode=prefer|require|verify-ca` as verify-full and prints a nine-line
 * SECURITY WARNING for them on every run, which is what Neon's and the seed's URLs carry. The URL is
 * given to pg as `sslmode=verify-full`, the behaviour pg has anyway, so the warning is not printed;
 * a TLS failure's one-line error says what the mode means (pooler.ts). `uselibpqcompat=true`
 * (libpq's meaning) is left alone.
 */
export function quietSslMode(url: string): string {
  if (/[?&]uselibpqcompat=true(&|$)/.test(url)) return url;
  return url.replace(/([?&])sslmode=(prefer|require|verify-ca)(?=&|#|$)/, '$1sslmode=verify-full');
}
