import { z } from 'zod';
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { LOCALE_PATTERN } from '../../config/abuse-settings';

// Issue 30's request fields, shared by the request schemas (schemas.ts).
extendZodWithOpenApi(z);

/** The token of a solved Turnstile or hCaptcha widget (issue 30), in the bodies of the forms that may ask for one. */
export const captchaToken = z
  .string()
  .min(1)
  .max(4096)
  .optional()
  .openapi({
    description:
      'The token of the solved CAPTCHA widget (Turnstile or hCaptcha), rendered with the action named in `captcha_action` of a 400 `captcha_required`. Asked for when the service is configured for it: at registration and forgot-password always, at login only after suspicious failures. Each token works once.',
  });

/** A user's language (issue 30): a BCP 47 tag; mail falls back from it (es-MX, es, the default, en). */
export const localeField = z
  .string()
  .max(35)
  .regex(LOCALE_PATTERN, { message: 'expected a language tag such as en, es or es-MX' })
  .openapi({ example: 'es', description: 'The language of the user\'s mail, a BCP 47 tag (en, es, es-MX); at registration, when absent, the best match of Accept-Language; in PATCH me, null clears it. Mail in a language without templates falls back to its shorter form, then the service default, then en.' });
