import type { z } from 'zod';
import { AppError } from '../../errors/app-error';

/**
 * Parses `value` with a request schema, or throws invalid_request naming each bad field
 * (RFC 9457's `invalid_params` extension), so a client can point at the field to fix.
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where = 'body'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const params = result.error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ name: path ? `${path}.${key}` : key, reason: 'unknown field' }));
    }
    if (issue.code === 'invalid_type' && issue.input === undefined && path) {
      return [{ name: path, reason: 'required' }];
    }
    return [{ name: path || where, reason: issue.message }];
  });
  const detail = params.map((p) => `${p.name}: ${p.reason}`).join('; ');
  throw new AppError('invalid_request', `The request ${where} is invalid: ${detail}.`, { fields: { invalid_params: params } });
}
