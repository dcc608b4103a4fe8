import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

/** Schemas of the web redirect sign-in (issue 25 item 2). */
extendZodWithOpenApi(z);

export const RedirectStartQuery = z.object({
  return_to: z.string().max(2048).optional().openapi({
    description: 'The frontend URL to come back to: exactly one of WEB_SIGN_IN_RETURN_URLS (optional when only one is configured).',
    example: 'https://play.cathouse.example/auth/done',
  }),
});

export const RedirectExchangeRequest = z
  .object({ code: z.string().min(16).max(256).openapi({ description: 'The one-time `code` the callback put in the frontend URL (valid about 2 minutes).' }) })
  .openapi('RedirectExchangeRequest');
