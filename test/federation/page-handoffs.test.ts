import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { resolveAccount } from '../../src/auth/federation/account-linking';
import { handoffHash } from '../../src/auth/federation/page-handoffs';
import { pageRedirects } from '../../src/auth/federation/page-redirects';
import type { RedirectSignIn } from '../../src/auth/federation/redirect-sign-in';
import type { SignInPage } from '../../src/auth/oidc/sign-in/provider-redirect';
import { useTestApp } from '../support/app';

/**
 * The one-time code a redirect sign-in hands back to the page that started it (login page or
 * /device) opens for that page only: not on another interaction, not in another browser's /device
 * (the planted-code login CSRF), not at POST redirect/exchange, and once.
 */
const t = useTestApp({
  // Discovery is never reached here: only the handoff's end of the flow runs.
  WEB_SIGN_IN_PROVIDERS: JSON.stringify([{ name: 'google', issuer: 'http://127.0.0.1:9', client_id: 'web', client_secret: 'secret' }]),
  WEB_SIGN_IN_CALLBACK_URL: 'http://127.0.0.1:9/api/v1/auth/redirect/callback',
  WEB_SIGN_IN_RETURN_URLS: 'http://127.0.0.1:9/frontend/done',
});

/** A code as the callback makes one (32 random bytes), handed to `page` for a new provider-only account named `who`. */
async function handoff(who: string, page: SignInPage): Promise<{ code: string; userId: string }> {
  const code = randomBytes(32).toString('base64url');
  const identity = { provider: 'google', subject: `sub-${who}`, email: `${who}@players.example`, isPrivateEmail: false, name: null };
  const { user } = await t.dataSource.transaction((m) => resolveAccount(m, identity, null, { ip: '127.0.0.1' }));
  // The row RedirectSignIn.finish writes for a page's flow.
  await t.dataSource.query(`INSERT INTO auth.redirect_handoffs (code_hash, user_id, provider, expires_at) VALUES ($1, $2, 'google', now() + interval '2 minutes')`, [handoffHash(code, page), user.id]);
  return { code, userId: user.id };
}

const redirects = () => pageRedirects(t.config.webSignIn, t.dataSource, () => ({ redirects: {} as RedirectSignIn }))!;
const client = { ip: '127.0.0.1' };

it('a code made for one interaction is refused on another and at POST redirect/exchange, then opens once on its own', async () => {
  const mine: SignInPage = { kind: 'oidc', uid: 'interaction-a' };
  const { code, userId } = await handoff('alpha', mine);
  await expect(redirects().complete(code, { kind: 'oidc', uid: 'interaction-b' }, client)).rejects.toMatchObject({ code: 'invalid_grant' });
  await expect(redirects().complete(code, { kind: 'device', nonce: 'interaction-a', userCode: 'ABCD-EFGH' }, client)).rejects.toMatchObject({ code: 'invalid_grant' });
  const exchanged = await request(t.app).post('/api/v1/auth/redirect/exchange').send({ code });
  expect(exchanged.status).toBe(400);
  expect(exchanged.body.error).toBe('invalid_grant');

  await expect(redirects().complete(code, mine, client)).resolves.toEqual({ userId, methods: ['fed'], providerSignIn: { method: 'redirect', provider: 'google' } });
  await expect(redirects().complete(code, mine, client)).rejects.toMatchObject({ code: 'invalid_grant' });
});

it("a /device code opens only with the nonce of the browser's page that started it, and not for a deactivated account", async () => {
  const mine: SignInPage = { kind: 'device', nonce: 'nonce-of-this-browser', userCode: 'ABCD-EFGH' };
  const { code, userId } = await handoff('bravo', mine);
  await expect(redirects().complete(code, { ...mine, nonce: 'another-browser' }, client)).rejects.toMatchObject({ code: 'invalid_grant' });
  await t.dataSource.query(`UPDATE auth.users SET is_active = false WHERE id = $1`, [userId]);
  await expect(redirects().complete(code, mine, client)).rejects.toMatchObject({ code: 'account_disabled' });
});
