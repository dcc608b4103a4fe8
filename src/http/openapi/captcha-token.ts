import { z } from 'zod';
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';

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
