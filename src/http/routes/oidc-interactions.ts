import express, { Router, type Request, type Response } from 'express';
import type { DataSource } from 'typeorm';
import { recordEvent } from '../../auth/audit/audit-events';
import { authenticationContext } from '../../auth/oidc/authentication-context';
import { consentView, giveConsent } from '../../auth/oidc/consent';
import { formToken, formTokenValid } from '../../auth/oidc/form-tokens';
import type { Oidc } from '../../auth/oidc/library';
import { consentPage } from '../../auth/oidc/pages/consent-page';
import { errorPage } from '../../auth/oidc/pages/error-page';
import { PAGE_CSP, pageCsp } from '../../auth/oidc/pages/layout';
import { loginPage } from '../../auth/oidc/pages/login-page';
import { stepPage } from '../../auth/oidc/pages/step-page';
import { ceremoniesFor, widgetsFor, type SignInMethod, type SignInRecorder, type SignInResult, type SignInStep } from '../../auth/oidc/sign-in/sign-in-method';
import { CAT_ID_METADATA } from '../../auth/oidc/adapter';
import { sql } from '../../auth/sql';
import { isAppError } from '../../errors/app-error';
import type { Logger } from '../../logging/logger';
import { clientInfo } from './auth';
import { interactionProviderButtons, interactionProviderRoutes } from './oidc-provider-sign-in';
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

type PageError = { code: string; message: string };

/**
 * The provider's interaction pages, `{issuer}/interaction/:uid`: the login page when the library
 * needs a sign-in, the consent page when it needs consent. Each POST checks its form's CSRF token,
 * then hands the result to the library (interactionFinished), which redirects back to the
 * authorization endpoint. Errors of the sign-in (invalid_credentials, rate_limited...) show on the
 * page again with their code; an expired or unknown interaction shows the error page.
 */
export function interactionRoutes(deps: InteractionRoutesDeps): Router {
  const { provider, mountPath, dataSource, formKeys, methods, steps = [], signedIn } = deps;
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 50 }));

  const send = (res: Response, status: number, html: string, csp = PAGE_CSP) => {
    res.status(status).set({ 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp, 'cache-control': 'no-store' }).send(html);
  };

  const catName = async (client: Oidc.Client): Promise<string | null> => {
    const catId = client[CAT_ID_METADATA] as string | undefined;
    if (!catId) return null;
    const { rows } = await sql<{ name: string }>(dataSource, `SELECT name FROM catalog.cats WHERE id = $1`, [catId]);
    return rows[0]?.name ?? null;
  };

  /** The login page; a method that needs a CAPTCHA for what was typed (humanCheck) gets its widget, and the page's CSP its origins. */
  const renderLogin = async (req: Request, res: Response, details: Oidc.Interaction, status = 200, error?: PageError, email?: string) => {
    const client = await provider.Client.find(String(details.params.client_id));
    const csrf: Record<string, string> = { abort: formToken(formKeys, details.uid, 'abort') };
    for (const m of methods) csrf[m.id] = formToken(formKeys, details.uid, `login:${m.id}`);
    const widgets = await widgetsFor(methods, { email }, clientInfo(req));
    const ceremonies = await ceremoniesFor(methods, `oidc:${details.uid}`);
    send(res, status, loginPage({
      uid: details.uid,
      mountPath,
      clientName: (client?.clientName as string | undefined) ?? String(details.params.client_id),
      catName: client ? await catName(client) : null,
      methods,
      csrf,
      email,
      error,
      widgets,
      ceremonies,
      providers: interactionProviderButtons(deps.redirects, mountPath, formKeys, details.uid),
    }), pageCsp(...[...Object.values(widgets), ...Object.values(ceremonies)].map((w) => w.csp)));
  };

  const renderConsent = async (res: Response, details: Oidc.Interaction, status = 200, error?: PageError) => {
    const client = await provider.Client.find(String(details.params.client_id));
    if (!client || !details.session?.accountId) throw Object.assign(new Error('interaction without client or session'), { error: 'invalid_request' });
    const requested = String(details.params.scope ?? '').split(' ').filter(Boolean);
    const view = await consentView(dataSource, client, details.session.accountId, requested);
    send(res, status, consentPage({
      uid: details.uid,
      mountPath,
      view,
      csrf: { consent: formToken(formKeys, details.uid, 'consent'), abort: formToken(formKeys, details.uid, 'abort') },
      error,
    }));
  };

  const renderStep = async (res: Response, uid: string, step: SignInStep, challenge: string, status = 200, error?: PageError) => {
    const csrf = { step: formToken(formKeys, uid, `step:${step.id}`), abort: formToken(formKeys, uid, 'abort') };
    const ceremony = await step.ceremony?.(challenge);
    send(res, status, stepPage({ uid, mountPath, step, challenge, csrf, error, ceremony }), pageCsp(...(ceremony ? [ceremony.csp] : [])));
  };

  /** The library's errors (expired interaction, missing cookie) and unexpected ones, as the error page. */
  const fail = (res: Response, err: unknown) => {
    const e = err as { error?: string; error_description?: string; status?: number };
    if (!e.error) deps.logger?.error({ err }, 'oidc interaction failed');
    send(res, e.status && e.status < 500 ? e.status : e.error ? 400 : 500, errorPage({ error: e.error ?? 'server_error', error_description: e.error_description }));
  };

  /** The sign-in is complete (method and steps): recorded, then handed to the provider with its amr and acr. */
  const finishLogin = async (req: Request, res: Response, result: SignInResult) => {
    await signedIn(result, clientInfo(req));
    const { amr, acr } = authenticationContext(result.methods);
    await provider.interactionFinished(req, res, { login: { accountId: result.userId, amr, acr, remember: true } }, { mergeWithLastSubmission: false });
  };
  const csrfFailed: PageError = { code: 'csrf_failed', message: 'This form has expired or was not sent from this page. Try again.' };
  if (deps.redirects) interactionProviderRoutes(router, deps.redirects, { provider, formKeys, steps, renderLogin, renderStep, finishLogin, fail });

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
      for (const step of steps) {
        const needed = await step.required(result);
        if (needed) {
          // The step's page at once: its challenge (single use, short-lived) travels in the form.
          await renderStep(res, details.uid, step, needed.challenge);
          return;
        }
      }
      await finishLogin(req, res, result);
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
