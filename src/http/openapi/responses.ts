import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../../errors/error-codes';
import { Problem } from './schemas';

export const PROBLEM_JSON = 'application/problem+json';

/** One response entry per status, listing the stable `error` codes a client may meet there. */
export function problems(...codes: ErrorCode[]): Record<number, ResponseConfig> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const { status } = ERROR_CODES[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      status,
      {
        description: `Problem with \`error\`: ${list.map((c) => `\`${c}\``).join(', ')}.`,
        content: { [PROBLEM_JSON]: { schema: Problem } },
      },
    ]),
  );
}

export const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });
export const BODY_ERRORS: ErrorCode[] = ['invalid_request', 'invalid_json', 'unsupported_media_type', 'payload_too_large'];
