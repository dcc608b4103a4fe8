import express, { Router, type Request, type Response } from 'express';
import type { DataSource } from 'typeorm';
import { recordEvent } from '../../auth/audit/audit-events';
import { authenticationContext } from '../../auth/oidc/authentication-context';
import { giveConsent } from '../../auth/oidc/consent';
import { formTokenValid } from '../../auth/oidc/form-tokens';
import type { Oidc } from '../../auth/oidc/library';
import { pageError } from '../../auth/oidc/pages/page-words';
import { pendingStep, type SignInMethod, type SignInRecorder, type SignInResult, type SignInStep } from '../../auth/oidc/sign-in/sign-in-method';
import { isAppError } from '../../errors/app-error';
import type { Logger } from '../../logging/logger';
import { clientInfo } from './auth';
import { interactionPages } from './oidc-interaction-pages';
import { interactionProviderRoutes } from './oidc-provider-sign-in';
import type { ProviderRedirects } from '../../auth/oidc/sign-in/provider-redirect';

export interface InteractionRoutesDeps {
  provider: Oidc.Provider;
  mountPath: string;
  dataSource: DataSource;
  formKeys: readonly Buffer[];
  methods: readonly SignInMethod[];
  /** Steps between a method's success and the finished login (issue 26's MFA challenge). */
  steps?: readonly SignInStep[];
  /** Records the finished sign-in (login_succeeded): after the method and its steps, not before. */
  signedIn: SignInRecorder;
  logger?: Logger;
  /** "Continue with <provider>" (issue 25's web redirect sign-in), when providers are configured. */
  redirects?: ProviderRedirects | undefined;
}

/**
 * The provider's interaction pages, `{issuer}/interaction/:uid`: the login page when the library
 * needs a sign-in, the consent page when it needs consent. Each POST checks its form's CSRF token,
 * then hands the result to the library (interactionFinished), which redirects back to the
 * authorization endpoint. Errors of the sign-in (invalid_credentials, rate_limited...) show on the
 * page again with their code; an expired or unknown interaction shows the error page.
 */
export function interactionRoutes(deps: InteractionRoutesDeps): Router {
  const { provider, dataSource, formKeys, methods, steps = [], signedIn } = deps;
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 50 }));

  const { renderLogin, renderConsent, renderStep, fail } = interactionPages(deps);

  /** The sign-in is complete (method and steps): recorded, then handed to the provider with its amr and acr. */
  const finishLogin = async (req: Request, res: Response, result: SignInResult) => {
    await signedIn(result, clientInfo(req));
    const { amr, acr } = authenticationContext(result.methods);
    // ts: the sign-in's time is now, when it was checked, not when the browser comes back to the
    // authorization endpoint (the library's default). Sessions ended in between (logout everywhere,
    // a reset) then end this sign-in too: its session and code date from before the sign-out mark.
    const ts = Math.floor(Date.now() / 1000);
    await provider.interactionFinished(req, res, { login: { accountId: result.userId, amr, acr, remember: true, ts } }, { mergeWithLastSubmission: false });
  };
  /** After a method (password, passkey, provider): the step's page at once (its challenge, single use and short-lived, travels in the form), or the finished login. */
  const continueLogin = async (req: Request, res: Response, uid: string, result: SignInResult) => {
    const next = await pendingStep(steps, result);
    if (next) await renderStep(res, uid, next.step, next.challenge);
    else await finishLogin(req, res, result);
  };
  const csrfFailed = pageError('csrf_failed', 'error.csrf_failed');
  if (deps.redirects) interactionProviderRoutes(router, deps.redirects, { provider, formKeys, renderLogin, continueLogin, fail });

  router.get('/:uid', async (req, res) => {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== req.params.uid) throw Object.assign(new Error('uid mismatch'), { error: 'invalid_request', status: 400 });
      if (details.prompt.name === 'login') await renderLogin(req, res, details);
      else await renderConsent(res, details);
    } catch (err) {
      fail(res, err);
    }
  });

  router.post('/:uid/login/:method', async (req: Request<{ uid: string; method: string }>, res) => {
    try {
      const details = await provider.interactionDetails(req, res);
      const method = methods.find((m) => m.id === req.params.method);
      const form = (req.body ?? {}) as Record<string, string | undefined>;
      if (!method || details.uid !== req.params.uid || details.prompt.name !== 'login') {
        throw Object.assign(new Error('no such step'), { error: 'invalid_request', status: 400 });
      }
      if (!formTokenValid(formKeys, details.uid, `login:${method.id}`, form.csrf)) {
        await renderLogin(req, res, details, 403, csrfFailed, form.email);
        return;
      }
      let result;
      try {
        result = await method.signIn(form, clientInfo(req), `oidc:${details.uid}`);
      } catch (err) {
        if (!isAppError(err)) throw err;
        for (const [name, value] of Object.entries(err.extra.headers ?? {})) res.set(name, value);
        await renderLogin(req, res, details, err.status, { code: err.code, message: err.detail }, form.email);
        return;
      }
      await continueLogin(req, res, details.uid, result);
    } catch (err) {
      fail(res, err);
    }
  });

  router.post('/:uid/step/:step', async (req: Request<{ uid: string; step: string }>, res) => {
    try {
      const details = await provider.interactionDetails(req, res);
      const step = steps.find((s) => s.id === req.params.step);
      const form = (req.body ?? {}) as Record<string, string | undefined>;
      if (!step || details.uid !== req.params.uid || details.prompt.name !== 'login' || !form.challenge) {
        throw Object.assign(new Error('no such step'), { error: 'invalid_request', status: 400 });
      }
      if (!formTokenValid(formKeys, details.uid, `step:${step.id}`, form.csrf)) {
        await renderStep(res, details.uid, step, form.challenge, 403, csrfFailed);
        return;
      }
      let result;
      try {
        result = await step.complete(form.challenge, form, clientInfo(req), 'oidc');
      } catch (err) {
        if (!isAppError(err)) throw err;
        for (const [name, value] of Object.entries(err.extra.headers ?? {})) res.set(name, value);
        // A dead challenge (expired, spent, too many wrong answers): back to the sign-in.
        if (err.code === 'invalid_mfa_token') await renderLogin(req, res, details, err.status, { code: err.code, message: err.detail });
        else await renderStep(res, details.uid, step, form.challenge, err.status, { code: err.code, message: err.detail });
        return;
      }
      await finishLogin(req, res, result);
    } catch (err) {
      fail(res, err);
    }
  });

  router.post('/:uid/consent', async (req, res) => {
    try {
      const details = await provider.interactionDetails(req, res);
      const form = (req.body ?? {}) as Record<string, string | string[] | undefined>;
      if (details.uid !== req.params.uid || details.prompt.name !== 'consent' || !details.session?.accountId) {
        throw Object.assign(new Error('no such step'), { error: 'invalid_request', status: 400 });
      }
      if (!formTokenValid(formKeys, details.uid, 'consent', form.csrf)) {
        await renderConsent(res, details, 403, csrfFailed);
        return;
      }
      const client = await provider.Client.find(String(details.params.client_id));
      if (!client) throw Object.assign(new Error('client gone'), { error: 'invalid_client', status: 400 });
      const scopes = form.scope === undefined ? [] : Array.isArray(form.scope) ? form.scope : [form.scope];
      let grantId: string;
      try {
        grantId = await giveConsent({ dataSource, provider }, {
          client,
          userId: details.session.accountId,
          details,
          decision: { installationId: String(form.installation_id ?? ''), granted: scopes },
          audit: clientInfo(req),
        });
      } catch (err) {
        if (!isAppError(err)) throw err;
        await renderConsent(res, details, err.status, { code: err.code, message: err.detail });
        return;
      }
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    } catch (err) {
      fail(res, err);
    }
  });

  router.post('/:uid/abort', async (req, res) => {
    try {
      const details = await provider.interactionDetails(req, res);
      const form = (req.body ?? {}) as Record<string, string | undefined>;
      if (details.uid !== req.params.uid) throw Object.assign(new Error('uid mismatch'), { error: 'invalid_request', status: 400 });
      if (!formTokenValid(formKeys, details.uid, 'abort', form.csrf)) {
        if (details.prompt.name === 'login') await renderLogin(req, res, details, 403, csrfFailed);
        else await renderConsent(res, details, 403, csrfFailed);
        return;
      }
      if (details.session?.accountId) {
        await recordEvent(dataSource, {
          type: 'oidc_consent_denied',
          userId: details.session.accountId,
          client: clientInfo(req),
          detail: { client_id: String(details.params.client_id), prompt: details.prompt.name },
        });
      }
      const words = details.prompt.name === 'login' ? 'The player cancelled the sign-in.' : 'The player denied the request.';
      await provider.interactionFinished(req, res, { error: 'access_denied', error_description: words }, { mergeWithLastSubmission: false });
    } catch (err) {
      fail(res, err);
    }
  });

  return router;
}
