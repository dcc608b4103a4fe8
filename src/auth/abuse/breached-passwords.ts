import { createHash } from 'node:crypto';
import type { AbuseSettings } from '../../config/abuse-settings';
import { AppError } from '../../errors/app-error';
import type { AbuseObserver, PasswordFlow } from './abuse-observer';
import { RangeCache } from './range-cache';

/** Refuses a password found in breaches; resolves when it may be used. Throws AppError only. */
export type BreachedPasswordCheck = (password: string, flow: PasswordFlow) => Promise<void>;

export interface BreachCheckLog {
  warn(obj: Record<string, unknown>, msg: string): void;
}

/** The SHA-1 of the password as HIBP lists it: 40 upper-case hex digits, split after the 5th. */
export function rangeKey(password: string): { prefix: string; suffix: string } {
  const hex = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
  return { prefix: hex.slice(0, 5), suffix: hex.slice(5) };
}

/**
 * The suffixes of one range answer seen at least `minCount` times, joined by newlines. The answer
 * is `SUFFIX:COUNT` lines (CRLF); the padding that `Add-Padding: true` asks for is lines with
 * count 0, which therefore never match.
 */
export function breachedSuffixes(body: string, minCount: number): string {
  const out: string[] = [];
  for (const line of body.split('\n')) {
    const colon = line.indexOf(':');
    if (colon !== 35) continue;
    const count = Number.parseInt(line.slice(colon + 1), 10);
    if (count >= minCount) out.push(line.slice(0, 35).toUpperCase());
  }
  return `\n${out.join('\n')}\n`;
}

export interface BreachCheckDeps {
  settings: AbuseSettings['breachedPasswords'];
  observer?: AbuseObserver;
  logger?: BreachCheckLog;
}

/**
 * The breached-password check over Have I Been Pwned's k-anonymity range API
 * (https://haveibeenpwned.com/API/v3#PwnedPasswords): only the first 5 hex digits of the
 * password's SHA-1 leave the service, with `Add-Padding: true` so that the answer's size does not
 * tell an observer of the (TLS) traffic which range was asked; the match is made here. Answers are
 * cached per prefix (only the suffixes that would refuse). When the endpoint fails or is slower
 * than BREACHED_PASSWORD_TIMEOUT_MS, fail-open lets the password through (logged and counted),
 * fail-closed answers 503 breach_check_unavailable. With the check off, it resolves at once.
 */
export function createBreachedPasswordCheck({ settings, observer = {}, logger }: BreachCheckDeps): BreachedPasswordCheck {
  if (!settings.enabled) return async () => {};
  const cache = new RangeCache(settings.cacheEntries, settings.cacheSeconds * 1000);

  async function fetchRange(prefix: string): Promise<string> {
    const res = await fetch(`${settings.rangeUrl}${prefix}`, {
      headers: { 'add-padding': 'true', 'user-agent': 'cathouse-auth' },
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
    if (!res.ok) throw new Error(`the range endpoint answered ${res.status}`);
    return breachedSuffixes(await res.text(), settings.minCount);
  }

  return async (password, flow) => {
    const { prefix, suffix } = rangeKey(password);
    let suffixes = cache.get(prefix);
    if (suffixes === undefined) {
      try {
        suffixes = await fetchRange(prefix);
      } catch (err) {
        const reason = err instanceof Error ? (err.name === 'TimeoutError' ? `no answer within ${settings.timeoutMs} ms` : err.message) : String(err);
        const refused = settings.onError === 'fail-closed';
        observer.breachCheckFailed?.(refused ? 'refused' : 'allowed');
        // The prefix alone is what HIBP sees anyway; never the password or its full hash.
        logger?.warn({ event: 'breach_check_failed', error: reason, on_error: settings.onError }, `breached-password check failed (${reason}); ${refused ? 'password refused' : 'password allowed'}`);
        if (refused) throw new AppError('breach_check_unavailable', 'The password could not be checked against known data breaches right now; try again in a moment.');
        return;
      }
      cache.set(prefix, suffixes);
    }
    if (suffixes.includes(`\n${suffix}\n`)) {
      observer.breachedPasswordRefused?.(flow);
      if (flow === 'registration') observer.registrationBlocked?.('breached_password');
      throw new AppError('password_breached', 'This password has appeared in a data breach, so attackers try it first: choose another one.', {
        fields: { invalid_params: [{ name: flow === 'change' ? 'new_password' : 'password', reason: 'found in data breaches' }] },
      });
    }
  };
}
