import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { displayNameProblem } from '../../auth/accounts/display-name';

extendZodWithOpenApi(z);

/** Issue 22 L8: shown to other people, so no bidi overrides or other format characters, and something visible. */
export const displayName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .superRefine((value, ctx) => {
    const problem = displayNameProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .openapi({
    description: 'At most 100 characters, at least one of them visible; no format characters (Unicode Cf: bidi overrides, zero-width characters) or control characters.',
    example: 'Mia',
  });
