import type { Server } from 'node:http';
import { startTestApp, type TestApp } from '../support/app';
import { findFreePort } from '../support/ports';

export const PASSWORD = 'correct horse battery staple';
/** The CLI's user agent: its sessions read "Cat House CLI on Linux". */
export const CLI_USER_AGENT = 'cathouse-cli/0.1.0 (Linux x64; Node.js 22)';

export interface Listening {
  t: TestApp;
  url: string;
  close(): Promise<void>;
}

/** The service on a free port, its public origin (OIDC_ISSUER) on that port, so verification_uri points at it. */
export async function listen(databaseUrl: string, env: Record<string, string> = {}, options: { factorClock?: () => number } = {}): Promise<Listening> {
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  const t = await startTestApp(databaseUrl, { OIDC_ISSUER: `${url}/oidc`, ...env }, options);
  const server: Server = t.app.listen(port, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    t,
    url,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await t.close();
    },
  };
}

/**
 * A person's browser on the /device page without a browser (cookies by hand, forms posted as a
 * browser would); test/browser/cli-device-login.test.ts drives the same page in Chromium.
 */
export class DevicePageAgent {
  /** The page's cookie as the browser sends it (`cathouse_device=...`): tests steal and forge it. */
  cookie = '';
  page = '';
  status = 0;
  /** The last answer's Content-Security-Policy. */
  csp = '';
  /** The last answer's headers (Content-Language, Vary...). */
  headers = new Headers();

  /** `headers`: sent with every request, as a browser's Accept-Language is. */
  constructor(
    private readonly base: string,
    private readonly extraHeaders: Record<string, string> = {},
  ) {}

  async get(path: string): Promise<string> {
    return this.send(path);
  }

  /** Posts `fields` with the CSRF token of the form whose action is `action` on the current page. */
  async submit(action: string, fields: Record<string, string>): Promise<string> {
    return this.send(action, { csrf: this.csrfOf(action), ...fields });
  }

  csrfOf(action: string): string {
    const form = new RegExp(`<form method="post" action="${action.replace(/[/]/g, '\\/')}"[^>]*>\\s*<input type="hidden" name="csrf" value="([^"]*)">`).exec(this.page);
    if (!form) throw new Error(`no form posting to ${action} on the page:\n${this.page}`);
    return form[1]!;
  }

  /** The stable code of the page's error box, if any. */
  errorCode(): string | undefined {
    return /id="error" data-code="([^"]+)"/.exec(this.page)?.[1];
  }

  /** One request as the browser would send it: GET without `form`, a form POST with it (no CSRF added). */
  async send(path: string, form?: Record<string, string>): Promise<string> {
    const res = await fetch(new URL(path, this.base), {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { ...this.extraHeaders, cookie: this.cookie, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    this.headers = res.headers;
    for (const line of res.headers.getSetCookie()) this.cookie = line.split(';')[0]!;
    this.status = res.status;
    this.csp = res.headers.get('content-security-policy') ?? '';
    this.page = await res.text();
    return this.page;
  }

  /** The whole approval (or denial): the code, the sign-in, the decision. */
  async decide(userCode: string, email: string, decision: 'approve' | 'deny', password = PASSWORD): Promise<void> {
    await this.get(`/device?user_code=${encodeURIComponent(userCode)}`);
    await this.submit('/device', { user_code: userCode });
    if (this.page.includes('id="password-form"')) {
      await this.submit('/device/sign-in/password', { user_code: userCode, email, password });
    }
    if (!this.page.includes('id="decision-form"')) throw new Error(`expected the confirm step (${this.status}):\n${this.page}`);
    await this.submit('/device/decision', { user_code: userCode, decision });
    if (!this.page.includes(`data-decision="${decision}"`)) throw new Error(`expected the done step (${this.status}):\n${this.page}`);
  }
}
