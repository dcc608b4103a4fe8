import type { Server } from 'node:http';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { startTestApp, type TestApp } from '../support/app';
import { findFreePort } from '../support/ports';
import { bearer, register, registerDeveloper, uniqueEmail } from '../auth/helpers';
import { createCat, install, type PermissionType } from '../auth/installations';

export const PASSWORD = 'correct horse battery staple';

/** The service listening on a free port, its issuer on that port (strict RP libraries check it). */
export interface OidcStack {
  t: TestApp;
  url: string;
  issuer: string;
  close(): Promise<void>;
}

export async function startOidcStack(databaseUrl: string, env: Record<string, string> = {}, options: Parameters<typeof startTestApp>[2] = {}): Promise<OidcStack> {
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  const issuer = `${url}/oidc`;
  const t = await startTestApp(databaseUrl, { OIDC_ISSUER: issuer, ...env }, options);
  const server: Server = t.app.listen(port, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    t,
    url,
    issuer,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await t.close();
    },
  };
}

export interface CatFixture {
  developer: { id: string; token: string };
  player: { id: string; email: string; token: string };
  catId: string;
  installationId: string;
}

/** A developer's published cat declaring `asked`, and a player who installed it granting `granted`. */
export async function catWithPlayer(
  stack: OidcStack,
  fixtures: DataSource,
  { asked = ['storage', 'notification'] as PermissionType[], granted = ['storage', 'notification'] as PermissionType[] } = {},
): Promise<CatFixture> {
  // A developer the way the policy makes one (issue 22 M5): asked for at registration, granted with a verified address.
  const dev = await registerDeveloper(stack.t, uniqueEmail('dev'), PASSWORD, { display_name: 'Whiskers Studio' });
  const email = uniqueEmail('player');
  const player = await register(stack.t.app, email, PASSWORD, { display_name: 'Pat Player' });
  const catId = await createCat(fixtures, dev.user.id);
  const installationId = await install(fixtures, player.user.id, catId, { asked, granted });
  return { developer: { id: dev.user.id, token: dev.access_token }, player: { id: player.user.id, email, token: player.access_token }, catId, installationId };
}

/** Registers a client for the cat through the developer API. */
export async function registerClient(
  stack: OidcStack,
  developerToken: string,
  body: Record<string, unknown>,
): Promise<{ client_id: string; client_secret?: string }> {
  const res = await request(stack.t.app).post('/api/v1/auth/oidc/clients').set(bearer(developerToken)).send(body);
  if (res.status !== 201) throw new Error(`client registration answered ${res.status}: ${res.text}`);
  return res.body;
}

/**
 * A player's browser without a browser: follows redirects by hand with a cookie jar, fills the
 * login form and answers the consent page as told. The Chromium tests (test/browser/oidc-pages)
 * drive the same pages in a real browser; this one lets the RP-library tests run many flows fast.
 */
export class PlayerAgent {
  private readonly cookies = new Map<string, string>();
  /** The last HTML page seen, for assertions. */
  lastPage = '';
  lastStatus = 0;
  /** The last page's headers (Content-Language, Vary...). */
  lastHeaders = new Headers();

  /** `headers`: sent with every request, as a browser's Accept-Language is. */
  constructor(
    private readonly base: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** One request, cookies in and out, no redirect followed. */
  async send(url: string, init: { method?: string; form?: Record<string, string | string[]> } = {}): Promise<Response> {
    const absolute = new URL(url, this.base).href;
    let body: string | undefined;
    if (init.form) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(init.form)) for (const item of Array.isArray(v) ? v : [v]) params.append(k, item);
      body = params.toString();
    }
    const res = await fetch(absolute, {
      method: init.method ?? (body ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: { ...this.headers, cookie: this.cookieHeader(), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body,
    });
    this.remember(res);
    return res;
  }

  /**
   * Follows redirects from `url` until a page of ours (HTML) or a redirect that leaves the service
   * (the client's redirect_uri), whose URL it returns.
   */
  async follow(url: string, init: { method?: string; form?: Record<string, string | string[]> } = {}): Promise<{ page?: string; callback?: string }> {
    let res = await this.send(url, init);
    for (let hops = 0; hops < 10; hops++) {
      if (res.status >= 300 && res.status < 400) {
        const next = new URL(res.headers.get('location')!, res.url || this.base).href;
        if (!next.startsWith(this.base)) return { callback: next };
        res = await this.send(next);
        continue;
      }
      this.lastStatus = res.status;
      this.lastHeaders = res.headers;
      this.lastPage = await res.text();
      return { page: this.lastPage };
    }
    throw new Error('too many redirects');
  }

  /** The action and fields of the form with `id` (or the first form) on the last page. */
  form(id?: string): { action: string; fields: Record<string, string> } {
    const forms = [...this.lastPage.matchAll(/<form method="post" action="([^"]+)"(?: id="([^"]+)")?>([\s\S]*?)<\/form>/g)];
    const found = id ? forms.find((f) => f[2] === id) : forms[0];
    if (!found) throw new Error(`no form ${id ?? ''} on the page: ${this.lastPage.slice(0, 2000)}`);
    const fields: Record<string, string> = {};
    for (const m of found[3]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]!] = m[2]!.replace(/&amp;/g, '&');
    return { action: found[1]!.replace(/&amp;/g, '&'), fields };
  }

  /** Signs in on the login page shown last. */
  async signIn(email: string, password = PASSWORD): Promise<{ page?: string; callback?: string }> {
    const { action, fields } = this.form('password-form');
    return this.follow(action, { form: { ...fields, email, password } });
  }

  /** Answers the consent page shown last: allow with `scopes` (all shown when omitted), or deny. */
  async consent(decision: { allow: true; scopes?: string[]; installationId?: string } | { allow: false }): Promise<{ page?: string; callback?: string }> {
    if (!decision.allow) {
      const forms = [...this.lastPage.matchAll(/<form method="post" action="([^"]+\/abort)">([\s\S]*?)<\/form>/g)];
      const deny = forms[forms.length - 1]!;
      const csrf = /name="csrf" value="([^"]+)"/.exec(deny[2]!)![1]!;
      return this.follow(deny[1]!, { form: { csrf } });
    }
    const { action, fields } = this.form('consent-form');
    const shown = [...this.lastPage.matchAll(/name="scope" value="([^"]+)"/g)].map((m) => m[1]!);
    const installation = decision.installationId ?? fields.installation_id ?? /<option value="([^"]+)"/.exec(this.lastPage)?.[1] ?? '';
    return this.follow(action, { form: { ...fields, installation_id: installation, scope: decision.scopes ?? shown } });
  }
}
