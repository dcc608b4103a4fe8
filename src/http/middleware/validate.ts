import type { z } from 'zod';
import { AppError } from '../../errors/app-error';

/** C0 controls, DEL and C1 controls: never meaningful in an email, a name, a password or a token. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** Paths (a.b.0) of every string in `value` that holds a control character. */
function fieldsWithControlCharacters(value: unknown, path: string[] = [], found: string[] = []): string[] {
  if (typeof value === 'string') {
    if (CONTROL_CHARACTER.test(value)) found.push(path.join('.'));
  } else if (value !== null && typeof value === 'object' && path.length < 8) {
    for (const [key, item] of Object.entries(value)) fieldsWithControlCharacters(item, [...path, key], found);
  }
  return found;
}

/**
 * Parses `value` with a request schema, or throws invalid_request naming each bad field
 * (RFC 9457's `invalid_params` extension), so a client can point at the field to fix.
 * Control characters are refused in every string field first: a NUL reaches PostgreSQL as an
 * error (500), and a newline or escape sequence in a stored name forges log lines and terminals.
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where = 'body'): z.output<S> {
  const controlled = fieldsWithControlCharacters(value);
  if (controlled.length > 0) {
    const params = controlled.map((name) => ({ name: name || where, reason: 'contains control characters' }));
    const detail = params.map((p) => `${p.name}: ${p.reason}`).join('; ');
    throw new AppError('invalid_request', `The request ${where} is invalid: ${detail}.`, { fields: { invalid_params: params } });
  }
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
