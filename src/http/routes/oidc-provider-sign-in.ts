import type { Request, Response, Router } from 'express';
import { formToken, formTokenValid } from '../../auth/oidc/form-tokens';
import type { Oidc } from '../../auth/oidc/library';
import { pageError, type PageError } from '../../auth/oidc/pages/page-words';
import type { ProviderButtonsModel } from '../../auth/oidc/pages/provider-buttons';
import { providerRefusal, type ProviderRedirects } from '../../auth/oidc/sign-in/provider-redirect';
import type { SignInResult } from '../../auth/oidc/sign-in/sign-in-method';
import { isAppError } from '../../errors/app-error';
import { clientInfo } from './client-info';
import { sendToProvider } from './federation-redirect';

/** What the login page's routes (oidc-interactions.ts) lend these two routes. */
export interface InteractionPageParts {
  provider: Oidc.Provider;
  formKeys: readonly Buffer[];
  renderLogin(req: Request, res: Response, details: Oidc.Interaction, status?: number, error?: PageError): Promise<void>;
  /** After the sign-in: the next step's page (the second factor), or the finished login. */
  continueLogin(req: Request, res: Response, uid: string, result: SignInResult): Promise<void>;
  fail(res: Response, err: unknown): void;
}

/** The login page's "Continue with <provider>" forms for interaction `uid`. */
export function interactionProviderButtons(redirects: ProviderRedirects | undefined, mountPath: string, formKeys: readonly Buffer[], uid: string): ProviderButtonsModel | undefined {
  if (!redirects) return undefined;
  const csrf: Record<string, string> = {};
  for (const p of redirects.providers) csrf[p.id] = formToken(formKeys, uid, `federated:${p.id}`);
  return { providers: redirects.providers, csrf, action: (id) => `${mountPath}/interaction/${uid}/federated/${id}` };
}

const invalid = (what: string) => Object.assign(new Error(what), { error: 'invalid_request', status: 400 });

/**
 * Issue 25's web redirect sign-in on the provider's login page: POST `:uid/federated/:provider`
 * starts the existing flow for this interaction (its CSRF token checked), the callback comes back
 * to GET `:uid/federated` with a one-time code bound to this interaction, and the sign-in then
 * goes on as after a password: the steps (the second factor), login_succeeded, the amr (`fed`).
 * An interaction that expired or already finished meanwhile gets the error page's clear words.
 */
export function interactionProviderRoutes(router: Router, redirects: ProviderRedirects, parts: InteractionPageParts): void {
  const { provider, formKeys } = parts;
  /** The interaction still waiting for a sign-in, or the "sign-in has expired" page. */
  const waitingInteraction = async (req: Request, res: Response): Promise<Oidc.Interaction | undefined> => {
    let details: Oidc.Interaction;
    try {
      details = await provider.interactionDetails(req, res);
    } catch (err) {
      if ((err as Error).name !== 'SessionNotFound') throw err;
      parts.fail(res, { error: 'session_not_found', status: 400 });
      return undefined;
    }
    if (details.uid !== req.params.uid) throw invalid('uid mismatch');
    if (details.prompt.name !== 'login') {
      parts.fail(res, { error: 'session_not_found', status: 400, error_description: 'You are already signed in for this request.' });
      return undefined;
    }
    return details;
  };

  router.post('/:uid/federated/:provider', async (req: Request<{ uid: string; provider: string }>, res) => {
    try {
      const details = await waitingInteraction(req, res);
      if (!details) return;
      const id = req.params.provider;
      if (!redirects.providers.some((p) => p.id === id)) throw invalid('unknown provider');
      if (!formTokenValid(formKeys, details.uid, `federated:${id}`, (req.body as Record<string, unknown> | undefined)?.csrf)) {
        await parts.renderLogin(req, res, details, 403, pageError('csrf_failed', 'error.csrf_failed'));
        return;
      }
      try {
        sendToProvider(res, await redirects.start(id, { kind: 'oidc', uid: details.uid }), 303);
      } catch (err) {
        if (!isAppError(err)) throw err;
        await parts.renderLogin(req, res, details, err.status, { code: err.code, message: err.detail });
      }
    } catch (err) {
      parts.fail(res, err);
    }
  });

  router.get('/:uid/federated', async (req: Request<{ uid: string }>, res) => {
    try {
      const details = await waitingInteraction(req, res);
      if (!details) return;
      const { code, error } = req.query;
      if (typeof error === 'string') {
        await parts.renderLogin(req, res, details, 400, providerRefusal(error));
        return;
      }
      if (typeof code !== 'string' || code === '') throw invalid('no code');
      let result: SignInResult;
      try {
        result = await redirects.complete(code, { kind: 'oidc', uid: details.uid }, clientInfo(req));
      } catch (err) {
        if (!isAppError(err)) throw err;
        await parts.renderLogin(req, res, details, err.status, { code: err.code, message: err.detail });
        return;
      }
      await parts.continueLogin(req, res, details.uid, result);
    } catch (err) {
      parts.fail(res, err);
    }
  });
}
