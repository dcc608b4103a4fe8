import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { clientAddressKey } from '../throttling/client-address';
import { isLimitReached, rateLimiterFactory } from '../throttling/rate-limits';

/** Kinds of events that a client can repeat as fast as it likes. */
export type RepeatableEvent = 'login_throttled' | 'client_auth_failed' | 'token_exchange_refused' | 'link_token_refused';

export interface RepeatGuard {
  /**
   * True the first time this (kind, subject, client address) is seen in the window, false after:
   * record the event only when true. `subject` is whatever the event is about (an account id, an
   * email hash, a client id); it is hashed before it is stored.
   */
  first(kind: RepeatableEvent, subject: string, ip: string): Promise<boolean>;
}

/**
 * Keeps events a client can trigger without limit from burying an account's history (issue 22 M7:
 * one address wrote about 200 login_throttled rows a second): each is recorded once per subject
 * and client address per window (AUDIT_REPEAT_WINDOW_SECONDS), through a one-point counter in the
 * shared rate_limits table, so every instance agrees. The first event of a window is written, so
 * the log still shows who tried, from where, and when it started.
 */
export function createRepeatGuard(dataSource: DataSource, settings: { windowSeconds: number; ipv6PrefixLength: number }): RepeatGuard {
  const once = rateLimiterFactory(dataSource)('audit_once', 1, settings.windowSeconds);
  return {
    async first(kind, subject, ip) {
      const key = `${kind}:${createHash('sha256').update(subject).digest('base64url')}:${clientAddressKey(ip, settings.ipv6PrefixLength)}`;
      try {
        await once.consume(key);
        return true;
      } catch (err) {
        if (isLimitReached(err)) return false;
        throw err;
      }
    },
  };
}
