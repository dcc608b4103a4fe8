import type { Server } from 'node:http';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import request from 'supertest';
import { bearer } from '../../auth/helpers';
import { startTestApp, type TestApp } from '../../support/app';
import { findFreePort } from '../../support/ports';

/**
 * The service for the sign-in pages' passkey tests (issue 26 on the login page and /device): its
 * public origin is http://localhost:<port> (OIDC_ISSUER and APP_URL, so the WebAuthn RP id is
 * `localhost`: browsers refuse an IP address as RP id), while it listens on 127.0.0.1, where
 * `direct` (for the CLI) points.
 */
export interface PasskeyStack {
  t: TestApp;
  /** The public origin, where the pages are. */
  url: string;
  issuer: string;
  /** The same service at 127.0.0.1. */
  direct: string;
  close(): Promise<void>;
}

export async function startPasskeyStack(databaseUrl: string, env: Record<string, string> = {}): Promise<PasskeyStack> {
  const port = await findFreePort();
  const url = `http://localhost:${port}`;
  const t = await startTestApp(databaseUrl, { OIDC_ISSUER: `${url}/oidc`, APP_URL: url, ...env });
  const server: Server = t.app.listen(port, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    t,
    url,
    issuer: `${url}/oidc`,
    direct: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await t.close();
    },
  };
}

/**
 * A tab with the DevTools protocol's virtual authenticator (internal, resident keys, user
 * verification: a platform passkey, device-bound, so amr hwk) on a page of `origin`. The
 * authenticator belongs to the tab: register and sign in within it.
 */
export async function tabWithAuthenticator(browser: Browser, origin: string): Promise<{ context: BrowserContext; page: Page; cdp: CDPSession; authenticatorId: string }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${origin}/api/v1/auth/health`);
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { context, page, cdp, authenticatorId };
}

/** The page's WebAuthn API, typed here (the tests compile without the DOM library). */
interface PageWebAuthn {
  navigator: { credentials: { create(o: unknown): Promise<{ toJSON(): Record<string, unknown> }>; get(o: unknown): Promise<{ toJSON(): Record<string, unknown> }> } };
  PublicKeyCredential: { parseCreationOptionsFromJSON(o: unknown): unknown; parseRequestOptionsFromJSON(o: unknown): unknown };
}

/**
 * navigator.credentials.get() in `page` with the service's request options JSON (passkey sign-in,
 * an MFA challenge's, a step-up's): the assertion's JSON, as an app's client code sends it.
 */
export function passkeyAssertion(page: Page, options: unknown): Promise<Record<string, unknown>> {
  return page.evaluate(async (o) => {
    const w = globalThis as unknown as PageWebAuthn;
    return (await w.navigator.credentials.get({ publicKey: w.PublicKeyCredential.parseRequestOptionsFromJSON(o) })).toJSON();
  }, options);
}

/** navigator.credentials.create() in `page` with the service's creation options JSON: the new credential's JSON. */
export function passkeyCreation(page: Page, options: unknown): Promise<Record<string, unknown>> {
  return page.evaluate(async (o) => {
    const w = globalThis as unknown as PageWebAuthn;
    return (await w.navigator.credentials.create({ publicKey: w.PublicKeyCredential.parseCreationOptionsFromJSON(o) })).toJSON();
  }, options);
}

/** Registers a passkey for the account of `accessToken` in the tab's authenticator, through the JSON API (page at the service's origin). */
export async function registerPasskey(t: TestApp, page: Page, accessToken: string): Promise<void> {
  const options = await request(t.app).post('/api/v1/auth/me/passkeys/options').set(bearer(accessToken));
  if (options.status !== 200) throw new Error(`passkey options answered ${options.status}: ${options.text}`);
  const response = await passkeyCreation(page, options.body);
  const registered = await request(t.app).post('/api/v1/auth/me/passkeys').set(bearer(accessToken)).send({ response, name: 'Test laptop' });
  if (registered.status !== 201) throw new Error(`passkey registration answered ${registered.status}: ${registered.text}`);
}
