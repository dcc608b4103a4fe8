import type { Response } from 'express';
import { ERROR_CODES, type ErrorCode } from '../errors/error-codes';
import type { AppError } from '../errors/app-error';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 problem details, plus `error`: the stable machine code clients branch on. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  error: ErrorCode;
  request_id?: string;
  [field: string]: unknown;
}

export function problemType(code: ErrorCode): string {
  return `urn:cathouse:problem:${code}`;
}

export function problemFor(code: ErrorCode, detail: string, fields: Record<string, unknown> = {}): Problem {
  const { status, title } = ERROR_CODES[code];
  return { type: problemType(code), title, status, detail, error: code, ...fields };
}

export function sendProblem(res: Response, problem: Problem, headers: Record<string, string> = {}): void {
  // The request's completion log line names the code (middleware/request-logging.ts).
  res.locals.errorCode = problem.error;
  const requestId = res.getHeader('x-request-id');
  const body: Problem = typeof requestId === 'string' ? { ...problem, request_id: requestId } : problem;
  res.status(problem.status).set(headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

export function sendAppError(res: Response, err: AppError): void {
  sendProblem(res, problemFor(err.code, err.detail, err.extra.fields), err.extra.headers);
}
