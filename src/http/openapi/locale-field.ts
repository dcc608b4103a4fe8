import { z } from 'zod';
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { LOCALE_PATTERN } from '../../config/abuse-settings';

extendZodWithOpenApi(z);

/** A user's language (issue 30): a BCP 47 tag; mail falls back from it (es-MX, es, the default, en). */
export const localeField = z
  .string()
  .max(35)
  .regex(LOCALE_PATTERN, { message: 'expected a language tag such as en, es or es-MX' })
  .openapi({ example: 'es', description: 'The language of the user\'s mail, a BCP 47 tag (en, es, es-MX). Mail in a language without templates falls back to its shorter form, then the service default, then en.' });
