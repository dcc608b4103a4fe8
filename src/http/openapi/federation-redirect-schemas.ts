import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

/** Schemas of the web redirect sign-in (issue 25 item 2). */
extendZodWithOpenApi(z);

export const RedirectStartQuery = z.object({
  return_to: z.string().max(2048).optional().openapi({
    description: 'The frontend URL to come back to: exactly one of WEB_SIGN_IN_RETURN_URLS (optional when only one is configured).',
    example: 'https://play.cathouse.example/auth/done',
  }),
  code_challenge: z.string().max(128).optional().openapi({
    description:
      "PKCE (RFC 7636) for the one-time code: base64url SHA-256 of a random `code_verifier` the app keeps and sends to POST redirect/exchange. Required when return_to is a native app's own scheme (RFC 8252); optional for https return URLs.",
    example: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  }),
  code_challenge_method: z.string().max(16).optional().openapi({ description: '`S256` (the only method; `plain` is refused).', example: 'S256' }),
});

export const RedirectExchangeRequest = z
  .object({
    code: z.string().min(16).max(256).openapi({ description: 'The one-time `code` the callback put in the frontend URL (valid about 2 minutes).' }),
    code_verifier: z
      .string()
      .max(256)
      .optional()
      .openapi({ description: 'The PKCE verifier whose S256 was the start\'s `code_challenge`: required when the sign-in started with one (a wrong or missing one is invalid_grant and spends the code).' }),
  })
  .openapi('RedirectExchangeRequest');

/** What a form_post provider (Apple) posts to the callback (OAuth 2.0 Form Post Response Mode). */
export const RedirectCallbackForm = z
  .object({
    code: z.string().optional().openapi({ description: "The provider's authorization code." }),
    state: z.string().openapi({ description: 'The state the start sent (checked against the state cookie).' }),
    error: z.string().optional().openapi({ description: "The provider's refusal (then no code)." }),
    user: z.string().optional().openapi({
      description: 'Apple, on a user\'s first sign-in only: JSON `{"name":{"firstName","lastName"},"email"}`. The name becomes the display name of an account that has none.',
    }),
  })
  .openapi('RedirectCallbackForm');
