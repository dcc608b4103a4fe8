import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { SignInPage } from '../oidc/sign-in/provider-redirect';
import { sql } from '../sql';

/**
 * The one-time codes a redirect sign-in started on one of the service's pages hands back to that
 * page (the login page's interaction, a browser's /device page). They live in the same table as
 * the frontend's handoff codes (auth.redirect_handoffs), but their hash covers the page too: a
 * code only opens for the page that started the flow, so one stolen from a URL, or planted by
 * an attacker who signed in to their own account (login CSRF), is worth nothing on another
 * interaction or in another browser, and POST redirect/exchange (which hashes the code alone)
 * never spends one.
 */

/** The state values of page flows start with this, so a callback whose cookie is gone still knows to answer with a page. */
export const PAGE_STATE_PREFIX = 'p.';

/** What a code is bound to: the interaction, or the /device page's cookie nonce. */
function binding(page: SignInPage): string {
  return page.kind === 'oidc' ? `oidc\n${page.uid}` : `device\n${page.nonce}`;
}

/** The stored hash of a handoff code: the code alone for the frontend, the code and its page for a page. */
export function handoffHash(code: string, page?: SignInPage): Buffer {
  const h = createHash('sha256');
  if (page) h.update(`cathouse.page-handoff.v1\n${binding(page)}\n`, 'utf8');
  return h.update(code, 'utf8').digest();
}

/** A spent handoff code's sign-in: the user, the provider, and the app's PKCE challenge when the start had one. */
export interface SpentHandoff {
  userId: string;
  provider: string;
  codeChallenge: string | null;
}

/**
 * Spends a handoff code once (the frontend's, or with `page` a page's): its sign-in, or undefined
 * when unknown, spent, expired or another page's. An expired code is deleted all the same.
 */
export async function spendHandoff(executor: DataSource | EntityManager, code: string, page?: SignInPage): Promise<SpentHandoff | undefined> {
  const { rows } = await sql<{ user_id: string; provider: string; live: boolean; code_challenge: string | null }>(
    executor,
    `DELETE FROM auth.redirect_handoffs WHERE code_hash = $1 RETURNING user_id, provider, expires_at > now() AS live, code_challenge`,
    [handoffHash(code, page)],
  );
  const row = rows.find((r) => r.live);
  return row && { userId: row.user_id, provider: row.provider, codeChallenge: row.code_challenge };
}
