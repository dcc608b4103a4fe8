import { recordEvent } from '../audit/audit-events';
import type { AccountClient, AccountServiceDeps } from './account-deps';
import { RefusedLink } from './account-tokens';

/** Which page's link was refused, in link_token_refused's `detail.page`. */
export type LinkPage = 'verify_email' | 'reset_password';

/**
 * Runs `spend` (a flow that spends a mailed link) and, when the link is refused, records
 * link_token_refused (issue 22 L7) with the account the token names when it exists, and logs it;
 * at most once per account (or unknown token) and client address per AUDIT_REPEAT_WINDOW_SECONDS.
 * Rethrows the 400 link_invalid either way. Never records the token.
 */
export async function withRefusedLinksRecorded<T>(deps: AccountServiceDeps, page: LinkPage, client: AccountClient, spend: () => Promise<T>): Promise<T> {
  try {
    return await spend();
  } catch (err) {
    if (err instanceof RefusedLink && (await deps.repeatGuard.first('link_token_refused', err.userId ?? 'unknown', client.ip))) {
      await recordEvent(deps.dataSource, { type: 'link_token_refused', userId: err.userId, client, detail: { page, known_link: err.userId !== null } });
      deps.logger?.warn({ event: 'link_token_refused', page, user_id: err.userId, ip: client.ip }, 'a mail link was refused (unknown, used, expired or superseded)');
    }
    throw err;
  }
}
