import { parseAppleClientSecret } from './apple-web-sign-in-settings';
import { ConfigError } from './config-error';
import type { Config } from './config-type';

/**
 * Web redirect sign-in (issue 25 item 2): any OpenID Connect provider, found by its issuer URL
 * (discovery). Off unless WEB_SIGN_IN_PROVIDERS is set; then the callback URL and the frontend
 * URLs the browser may return to are required. Kept apart from federation-settings.ts (the native
 * ID-token providers) because these providers need a client secret and a browser round trip.
 */
interface WebSignInEnv {
  NODE_ENV: Config['env'];
  WEB_SIGN_IN_PROVIDERS?: string | undefined;
  WEB_SIGN_IN_CALLBACK_URL?: string | undefined;
  WEB_SIGN_IN_RETURN_URLS?: string[] | undefined;
  WEB_SIGN_IN_STATE_TTL_SECONDS: number;
}

const NAME = /^[a-z][a-z0-9_-]{0,31}$/;

function isLoopback(url: URL): boolean {
  return url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
}

function absoluteUrl(variable: string, value: string, production: boolean): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(variable, `${variable}: ${JSON.stringify(value).slice(0, 80)} is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && (!production || isLoopback(url)))) {
    throw new ConfigError(variable, `${variable}: ${url.origin} must be https (http only on loopback or outside production)`);
  }
  if (url.hash) throw new ConfigError(variable, `${variable}: ${url.href} must not have a #fragment`);
  return url;
}

/**
 * Schemes a return URL must never use, whatever an operator types: script and local-content schemes
 * (XSS, local files) and the web's own schemes, which have their https rule above. Any other scheme
 * is taken as a native app's private-use URI scheme (RFC 8252 §7.1: `com.cathouse.app:/auth`, or
 * Expo's `cathouse://auth`), the way an app opened with WebBrowser.openAuthSessionAsync gets the
 * answer back. Another app can claim the same scheme (§8.1), so such a return URL only ever receives
 * a code bound to the starting app's PKCE challenge (redirect-sign-in.ts).
 */
const NEVER_RETURN_TO = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:', 'filesystem:', 'ws:', 'wss:', 'ftp:', 'mailto:', 'tel:', 'sms:', 'intent:', 'chrome:', 'view-source:']);

/** A frontend URL: https as absoluteUrl demands, or a native app's private-use scheme. */
function returnUrl(value: string, production: boolean): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('WEB_SIGN_IN_RETURN_URLS', `WEB_SIGN_IN_RETURN_URLS: ${JSON.stringify(value).slice(0, 80)} is not an absolute URL`);
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return absoluteUrl('WEB_SIGN_IN_RETURN_URLS', value, production);
  if (NEVER_RETURN_TO.has(url.protocol)) {
    throw new ConfigError('WEB_SIGN_IN_RETURN_URLS', `WEB_SIGN_IN_RETURN_URLS: ${url.protocol} URLs cannot be return URLs (use https, or a native app's own scheme such as com.cathouse.app:/auth)`);
  }
  if (url.hash) throw new ConfigError('WEB_SIGN_IN_RETURN_URLS', `WEB_SIGN_IN_RETURN_URLS: ${url.href} must not have a #fragment`);
  return url;
}

/**
 * What a provider is asked for and how it answers. Defaults: "openid email profile" by query, as
 * most providers; Apple's keys default to Apple's "openid name email" by form_post, the only way
 * Apple answers when name or email is asked (the callback then arrives as a cross-site POST).
 */
function requestShape(name: string, entry: Record<string, unknown>, apple: boolean): { scope: string; responseMode: 'query' | 'form_post' } {
  const scope = entry.scope ?? (apple ? 'openid name email' : 'openid email profile');
  if (typeof scope !== 'string' || !scope.split(' ').includes('openid') || !/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/.test(scope)) {
    throw new ConfigError('WEB_SIGN_IN_PROVIDERS', `WEB_SIGN_IN_PROVIDERS: provider "${name}": scope must be space-separated scopes including openid (e.g. "openid email profile")`);
  }
  const responseMode = entry.response_mode ?? (apple ? 'form_post' : 'query');
  if (responseMode !== 'query' && responseMode !== 'form_post') {
    throw new ConfigError('WEB_SIGN_IN_PROVIDERS', `WEB_SIGN_IN_PROVIDERS: provider "${name}": response_mode must be "query" or "form_post"`);
  }
  if (apple && responseMode === 'query' && /(^| )(name|email)( |$)/.test(scope)) {
    throw new ConfigError('WEB_SIGN_IN_PROVIDERS', `WEB_SIGN_IN_PROVIDERS: provider "${name}": Apple answers a name or email scope only by form_post: set response_mode "form_post" (or drop those scopes)`);
  }
  return { scope, responseMode };
}

export function parseWebSignInSettings(e: WebSignInEnv): Config['webSignIn'] {
  const production = e.NODE_ENV === 'production';
  const providers: Config['webSignIn']['providers'][number][] = [];
  if (e.WEB_SIGN_IN_PROVIDERS?.trim()) {
    let raw: unknown;
    try {
      raw = JSON.parse(e.WEB_SIGN_IN_PROVIDERS);
    } catch {
      throw new ConfigError('WEB_SIGN_IN_PROVIDERS', 'WEB_SIGN_IN_PROVIDERS: expected JSON, e.g. [{"name":"acme","issuer":"https://id.acme.example","client_id":"...","client_secret":"..."}]');
    }
    if (!Array.isArray(raw) || raw.length === 0) throw new ConfigError('WEB_SIGN_IN_PROVIDERS', 'WEB_SIGN_IN_PROVIDERS: expected a non-empty JSON array of {name, issuer, client_id, client_secret}');
    for (const entry of raw as Record<string, unknown>[]) {
      const name = entry?.name;
      if (typeof name !== 'string' || !NAME.test(name)) throw new ConfigError('WEB_SIGN_IN_PROVIDERS', 'WEB_SIGN_IN_PROVIDERS: each provider needs a name of lowercase letters, digits, _ or - (e.g. "google")');
      if (name === 'callback' || name === 'exchange') throw new ConfigError('WEB_SIGN_IN_PROVIDERS', `WEB_SIGN_IN_PROVIDERS: "${name}" is a route name; choose another provider name`);
      if (providers.some((p) => p.name === name)) throw new ConfigError('WEB_SIGN_IN_PROVIDERS', `WEB_SIGN_IN_PROVIDERS: the name "${name}" is used twice`);
      if (typeof entry.issuer !== 'string' || typeof entry.client_id !== 'string' || entry.client_id === '') {
        throw new ConfigError('WEB_SIGN_IN_PROVIDERS', `WEB_SIGN_IN_PROVIDERS: provider "${name}" needs issuer and client_id strings`);
      }
      if (entry.client_secret !== undefined && typeof entry.client_secret !== 'string') {
        throw new ConfigError('WEB_SIGN_IN_PROVIDERS', `WEB_SIGN_IN_PROVIDERS: provider "${name}": client_secret must be a string (omit it for a public client)`);
      }
      const issuer = absoluteUrl('WEB_SIGN_IN_PROVIDERS', entry.issuer, production).href.replace(/\/+$/, '');
      const appleClientSecret = parseAppleClientSecret(name, issuer, entry);
      providers.push({ name, issuer, clientId: entry.client_id, clientSecret: entry.client_secret as string | undefined, ...requestShape(name, entry, appleClientSecret !== undefined), appleClientSecret });
    }
  }
  if (providers.length === 0) return { providers, callbackUrl: '', returnUrls: [], stateTtlSeconds: e.WEB_SIGN_IN_STATE_TTL_SECONDS };
  if (!e.WEB_SIGN_IN_CALLBACK_URL) {
    throw new ConfigError('WEB_SIGN_IN_CALLBACK_URL', 'WEB_SIGN_IN_CALLBACK_URL: required with WEB_SIGN_IN_PROVIDERS (our public URL of GET /api/v1/auth/redirect/callback, registered at each provider)');
  }
  if (!e.WEB_SIGN_IN_RETURN_URLS?.length) {
    throw new ConfigError('WEB_SIGN_IN_RETURN_URLS', 'WEB_SIGN_IN_RETURN_URLS: required with WEB_SIGN_IN_PROVIDERS (the frontend URLs a redirect sign-in may return to, comma-separated)');
  }
  return {
    providers,
    callbackUrl: absoluteUrl('WEB_SIGN_IN_CALLBACK_URL', e.WEB_SIGN_IN_CALLBACK_URL, production).href,
    returnUrls: Object.freeze(e.WEB_SIGN_IN_RETURN_URLS.map((u) => returnUrl(u, production).href)),
    stateTtlSeconds: e.WEB_SIGN_IN_STATE_TTL_SECONDS,
  };
}
