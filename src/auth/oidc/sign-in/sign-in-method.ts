import type { CaptchaWidget } from '../../abuse/captcha-widget';
import type { AuditClient } from '../../audit/audit-events';
import type { AuthenticationMethod, ProviderSignIn } from '../authentication-context';
import type { PageOrigins } from '../pages/layout';
import type { PageWords } from '../pages/page-words';

/**
 * One way to sign in on the provider's login page. The page shows every registered method's form
 * (or button) and posts to `/interaction/:uid/login/:method`; the method checks what was posted and
 * answers with the account and the RFC 8176 methods it proved. Email and password (password.ts)
 * and a passkey (passkey.ts, a script-driven `ceremony`) are two; others are further
 * implementations added to the list in provider wiring, without touching the page or the
 * interaction routes. Apple/Google and other web redirect providers (issue 25) are not methods:
 * their browser round trip has its own routes and buttons (provider-redirect.ts).
 */
export interface SignInMethod {
  /** The path segment and form id: `password`, `passkey`, `google`... */
  readonly id: string;
  /** The button's words. */
  readonly label: string;
  /** The fields the login page renders for this method, in order. */
  readonly fields: readonly SignInField[];
  /**
   * Checks the posted form; throws AppError (invalid_credentials, rate_limited, account_disabled, captcha_required...) on refusal.
   * `binding` names the page the form came from (`oidc:<interaction>`, `device:<browser nonce>`), for a
   * method whose proof must have been made for that page (a passkey's challenge).
   */
  signIn(form: Record<string, string | undefined>, client: AuditClient & { ip: string }, binding?: string): Promise<SignInResult>;
  /**
   * The CAPTCHA widget the form must carry for its next post (issue 30: the password after
   * suspicious failures), judged from what was typed (`form`, empty on a fresh page); undefined
   * when none is needed. A page that shows it posts the widget's token with the method's fields.
   */
  humanCheck?(form: Record<string, string | undefined>, client: AuditClient & { ip: string }): Promise<CaptchaWidget | undefined>;
  /**
   * For a method a script drives (a passkey): the markup its form carries instead of fields and a
   * submit button, made for the page `binding` names, in the page's language (`words`, issue 30);
   * undefined to leave the method off the page.
   */
  ceremony?(binding: string, words?: PageWords): Promise<PageCeremony | undefined>;
}

/**
 * What a script-driven method or step adds to a form: its markup (a button, a hidden field, the
 * script) and what the page's Content-Security-Policy must let in for it (the script's hash).
 */
export interface PageCeremony {
  readonly markup: string;
  readonly csp: PageOrigins;
}

/** The ceremony each method shows on the page `binding` names, by method id (cf. widgetsFor). */
export async function ceremoniesFor(methods: readonly SignInMethod[], binding: string, words?: PageWords): Promise<Record<string, PageCeremony>> {
  const ceremonies: Record<string, PageCeremony> = {};
  for (const m of methods) {
    const ceremony = await m.ceremony?.(binding, words);
    if (ceremony) ceremonies[m.id] = ceremony;
  }
  return ceremonies;
}

/**
 * The CAPTCHA widget each method's form must carry now (humanCheck), by method id: what a sign-in
 * page renders, and whose origins its Content-Security-Policy must let in (the login page, /device).
 */
export async function widgetsFor(
  methods: readonly SignInMethod[],
  form: Record<string, string | undefined>,
  client: AuditClient & { ip: string },
): Promise<Record<string, CaptchaWidget>> {
  const widgets: Record<string, CaptchaWidget> = {};
  for (const m of methods) {
    const widget = await m.humanCheck?.(form, client);
    if (widget) widgets[m.id] = widget;
  }
  return widgets;
}

export interface SignInField {
  name: string;
  label: string;
  type: 'email' | 'password' | 'text';
  /** For one-time codes: the mobile keyboard to show. */
  inputmode?: 'numeric' | 'text';
  autocomplete: string;
}

export interface SignInResult {
  userId: string;
  methods: AuthenticationMethod[];
  /**
   * The provider sign-in that proved `fed` (issue 25's redirect on the page), carried through the
   * second factor's step to the audit event and the sign-in metric; absent otherwise.
   */
  providerSignIn?: ProviderSignIn | undefined;
}

/**
 * Records a page's finished sign-in (login_succeeded): called once, after the method and every
 * step it needed, never after the password alone when a second factor is still to come.
 */
export type SignInRecorder = (result: SignInResult, client: AuditClient & { ip: string }) => Promise<void>;

/** The first of `steps` that `result` still needs, with its challenge; undefined when the sign-in is complete. */
export async function pendingStep(steps: readonly SignInStep[], result: SignInResult): Promise<{ step: SignInStep; challenge: string } | undefined> {
  for (const step of steps) {
    const needed = await step.required(result);
    if (needed) return { step, challenge: needed.challenge };
  }
  return undefined;
}

/**
 * A step that may stand between a method's success and the finished login: issue 26's MFA
 * challenge is one (it answers `{ challenge }` with the page to show when the account has a
 * second factor, and the page's post completes the login with the added method).
 */
export interface SignInStep {
  readonly id: string;
  /** The step page's heading, explanation and button. */
  readonly title: string;
  readonly explanation: string;
  readonly label: string;
  /** The fields the step's page renders (the challenge travels in a hidden field). */
  readonly fields: readonly SignInField[];
  /** undefined: nothing to ask; otherwise the step needs the player before the login completes. */
  required(result: SignInResult): Promise<{ challenge: string } | undefined>;
  /** What the step's form carries besides its fields for `challenge` (issue 26: a passkey's button), if the account can use it. */
  ceremony?(challenge: string, words?: PageWords): Promise<PageCeremony | undefined>;
  /** Checks the step's posted form for `challenge`; the sign-in's result with the methods added. Throws AppError on refusal. */
  complete(challenge: string, form: Record<string, string | undefined>, client: AuditClient & { ip: string }, page: 'oidc' | 'device'): Promise<SignInResult>;
}
