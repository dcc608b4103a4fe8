import type { Request, Response } from 'express';
import type { DataSource } from 'typeorm';
import { CAT_ID_METADATA } from '../../auth/oidc/adapter';
import { consentView } from '../../auth/oidc/consent';
import { formToken } from '../../auth/oidc/form-tokens';
import type { Oidc } from '../../auth/oidc/library';
import { consentPage } from '../../auth/oidc/pages/consent-page';
import { errorPage } from '../../auth/oidc/pages/error-page';
import { PAGE_CSP, pageCsp } from '../../auth/oidc/pages/layout';
import { loginPage } from '../../auth/oidc/pages/login-page';
import type { PageError } from '../../auth/oidc/pages/page-words';
import { stepPage } from '../../auth/oidc/pages/step-page';
import type { ProviderRedirects } from '../../auth/oidc/sign-in/provider-redirect';
import { ceremoniesFor, widgetsFor, type SignInMethod, type SignInStep } from '../../auth/oidc/sign-in/sign-in-method';
import { sql } from '../../auth/sql';
import type { Logger } from '../../logging/logger';
import { pageWordsFor, setPageLanguage } from '../../auth/oidc/pages/page-language';
import { clientInfo } from './client-info';
import { interactionProviderButtons } from './oidc-provider-sign-in';

/** What the interaction pages need to render: the provider, where it is mounted, the form keys and the sign-in methods. */
export interface InteractionPagesDeps {
  provider: Oidc.Provider;
  mountPath: string;
  dataSource: DataSource;
  formKeys: readonly Buffer[];
  methods: readonly SignInMethod[];
  logger?: Logger | undefined;
  redirects?: ProviderRedirects | undefined;
}

/**
 * The interaction routes' pages (oidc-interactions.ts), each in the request's language (issue 30:
 * Accept-Language, with Content-Language and Vary on the response): the login page, the consent
 * page, a sign-in step's page, and the error page for the library's errors.
 */
export function interactionPages(deps: InteractionPagesDeps) {
  const { provider, mountPath, dataSource, formKeys, methods } = deps;

  const send = (res: Response, status: number, html: string, csp = PAGE_CSP) => {
    res.status(status).set({ 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp, 'cache-control': 'no-store' });
    res.send(html);
  };
  const wordsOf = (res: Response) => {
    const w = pageWordsFor(res.req);
    setPageLanguage(res, w);
    return w;
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
    const words = wordsOf(res);
    const widgets = await widgetsFor(methods, { email }, clientInfo(req));
    const ceremonies = await ceremoniesFor(methods, `oidc:${details.uid}`, words);
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
      words,
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
      words: wordsOf(res),
    }));
  };

  const renderStep = async (res: Response, uid: string, step: SignInStep, challenge: string, status = 200, error?: PageError) => {
    const csrf = { step: formToken(formKeys, uid, `step:${step.id}`), abort: formToken(formKeys, uid, 'abort') };
    const words = wordsOf(res);
    const ceremony = await step.ceremony?.(challenge, words);
    send(res, status, stepPage({ uid, mountPath, step, challenge, csrf, error, ceremony, words }), pageCsp(...(ceremony ? [ceremony.csp] : [])));
  };

  /** The library's errors (expired interaction, missing cookie) and unexpected ones, as the error page. */
  const fail = (res: Response, err: unknown) => {
    const e = err as { error?: string; error_description?: string; status?: number };
    if (!e.error) deps.logger?.error({ err }, 'oidc interaction failed');
    send(res, e.status && e.status < 500 ? e.status : e.error ? 400 : 500, errorPage({ error: e.error ?? 'server_error', error_description: e.error_description }, wordsOf(res)));
  };

  return { renderLogin, renderConsent, renderStep, fail };
}
