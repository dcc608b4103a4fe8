import { z } from 'zod';
import { ConfigError } from './config-error';

// Issue 30: the abuse defences (breached-password check, CAPTCHA) and mail locales. Their
// variables live here, spread into env-schema.ts, so that the shared schema gains one line.

const int = (min: number, max: number) =>
  z.coerce
    .number({ message: 'expected a whole number' })
    .int({ message: 'expected a whole number' })
    .min(min, { message: `expected a whole number >= ${min}` })
    .max(max, { message: `expected a whole number <= ${max}` });
const optional = <T extends z.ZodTypeAny>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
const httpUrl = z.string().regex(/^https?:\/\/[^/\s]+/, { message: 'expected an http(s) URL' });
const failMode = z.enum(['fail-open', 'fail-closed'], { message: 'expected fail-open or fail-closed' });
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
);

export const CAPTCHA_ACTIONS = ['register', 'forgot_password', 'login', 'guest'] as const;
export type CaptchaAction = (typeof CAPTCHA_ACTIONS)[number];

/** A BCP 47 tag as mail locales are named: a language and an optional region or script (en, es, es-MX, zh-Hant). */
export const LOCALE_PATTERN = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

export const abuseEnvShape = {
  BREACHED_PASSWORD_CHECK: z.enum(['off', 'on'], { message: 'expected on or off' }).default('off'),
  BREACHED_PASSWORD_RANGE_URL: httpUrl.default('https://api.pwnedpasswords.com/range/'),
  BREACHED_PASSWORD_TIMEOUT_MS: int(50, 60_000).default(1_500),
  BREACHED_PASSWORD_CACHE_SECONDS: int(0, 2_592_000).default(86_400),
  BREACHED_PASSWORD_CACHE_ENTRIES: int(0, 1_000_000).default(2_048),
  BREACHED_PASSWORD_ON_ERROR: failMode.default('fail-open'),
  BREACHED_PASSWORD_MIN_COUNT: int(1, 1_000_000_000).default(1),
  CAPTCHA_PROVIDER: z.enum(['none', 'turnstile', 'hcaptcha'], { message: 'expected none, turnstile or hcaptcha' }).default('none'),
  CAPTCHA_SECRET: optional(z.string().min(1)),
  CAPTCHA_SITE_KEY: optional(z.string().regex(/^[\w-]{1,100}$/, { message: 'expected the widget\'s site key (letters, digits, _ and -)' })),
  CAPTCHA_VERIFY_URL: optional(httpUrl),
  CAPTCHA_HOSTNAMES: optional(list),
  CAPTCHA_REQUIRED_FOR: list.pipe(z.array(z.enum(CAPTCHA_ACTIONS, { message: `expected a comma-separated list of ${CAPTCHA_ACTIONS.join(', ')}` }))).default([...CAPTCHA_ACTIONS]),
  CAPTCHA_LOGIN_AFTER_FAILURES: int(0, 10_000).default(3),
  CAPTCHA_TIMEOUT_MS: int(50, 60_000).default(3_000),
  CAPTCHA_ON_ERROR: failMode.default('fail-closed'),
  NEW_DEVICE_NOTICE: z.enum(['off', 'on'], { message: 'expected on or off' }).default('off'),
  MAIL_DEFAULT_LOCALE: z.string().regex(LOCALE_PATTERN, { message: 'expected a language tag such as en or es' }).default('en'),
};

type AbuseEnv = z.infer<z.ZodObject<typeof abuseEnvShape>>;

export interface AbuseSettings {
  readonly breachedPasswords: {
    readonly enabled: boolean;
    /** The range endpoint; the 5-hex prefix is appended (HIBP's, or a self-hosted copy of the range files). */
    readonly rangeUrl: string;
    readonly timeoutMs: number;
    readonly cacheSeconds: number;
    readonly cacheEntries: number;
    readonly onError: 'fail-open' | 'fail-closed';
    /** A password seen at least this many times in breaches is refused. */
    readonly minCount: number;
  };
  readonly captcha: {
    readonly provider: 'none' | 'turnstile' | 'hcaptcha';
    readonly secret: string | undefined;
    /** The widget's public site key, for the sign-in pages that render it themselves (the OpenID provider's login page). */
    readonly siteKey: string | undefined;
    readonly verifyUrl: string;
    /** Hostnames a solved challenge may come from; empty: any (the provider's own site-key check only). */
    readonly hostnames: readonly string[];
    readonly requiredFor: readonly CaptchaAction[];
    /** Login asks for a CAPTCHA once this client has failed this often on the account in the throttle's window (0: always). */
    readonly loginAfterFailures: number;
    readonly timeoutMs: number;
    readonly onError: 'fail-open' | 'fail-closed';
  };
  /** A mail on a login from a device family and network the account had not used (abuse/new-device.ts). */
  readonly newDeviceNotice: boolean;
}

const VERIFY_URLS = {
  turnstile: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
  hcaptcha: 'https://api.hcaptcha.com/siteverify',
} as const;

/** The abuse settings, with the rules that span variables (a CAPTCHA provider needs its secret). */
export function parseAbuseSettings(e: AbuseEnv): AbuseSettings {
  const provider = e.CAPTCHA_PROVIDER;
  if (provider !== 'none' && !e.CAPTCHA_SECRET) {
    throw new ConfigError('CAPTCHA_SECRET', `CAPTCHA_SECRET: required when CAPTCHA_PROVIDER=${provider} (the secret key of the widget; or set CAPTCHA_SECRET_FILE)`);
  }
  // The service's own sign-in pages must be able to show the widget they demand, or a player refused there could never pass.
  if (provider !== 'none' && e.CAPTCHA_REQUIRED_FOR.includes('login') && !e.CAPTCHA_SITE_KEY) {
    throw new ConfigError('CAPTCHA_SITE_KEY', `CAPTCHA_SITE_KEY: required when CAPTCHA_PROVIDER=${provider} and CAPTCHA_REQUIRED_FOR includes login (the sign-in pages render the widget with it)`);
  }
  return {
    breachedPasswords: {
      enabled: e.BREACHED_PASSWORD_CHECK === 'on',
      rangeUrl: e.BREACHED_PASSWORD_RANGE_URL.endsWith('/') ? e.BREACHED_PASSWORD_RANGE_URL : `${e.BREACHED_PASSWORD_RANGE_URL}/`,
      timeoutMs: e.BREACHED_PASSWORD_TIMEOUT_MS,
      cacheSeconds: e.BREACHED_PASSWORD_CACHE_SECONDS,
      cacheEntries: e.BREACHED_PASSWORD_CACHE_ENTRIES,
      onError: e.BREACHED_PASSWORD_ON_ERROR,
      minCount: e.BREACHED_PASSWORD_MIN_COUNT,
    },
    captcha: {
      provider,
      secret: e.CAPTCHA_SECRET,
      siteKey: provider === 'none' ? undefined : e.CAPTCHA_SITE_KEY,
      verifyUrl: e.CAPTCHA_VERIFY_URL ?? (provider === 'none' ? '' : VERIFY_URLS[provider]),
      hostnames: e.CAPTCHA_HOSTNAMES ?? [],
      requiredFor: e.CAPTCHA_REQUIRED_FOR,
      loginAfterFailures: e.CAPTCHA_LOGIN_AFTER_FAILURES,
      timeoutMs: e.CAPTCHA_TIMEOUT_MS,
      onError: e.CAPTCHA_ON_ERROR,
    },
    newDeviceNotice: e.NEW_DEVICE_NOTICE === 'on',
  };
}
