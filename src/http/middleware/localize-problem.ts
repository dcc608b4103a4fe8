import type { Request, Response } from 'express';
import { loadDetailCatalogs, type DetailCatalogs } from '../../errors/localized-details';
import type { Problem } from '../problem';

let catalogs: DetailCatalogs | undefined;

/**
 * The problem with its `detail` in the best language of Accept-Language (issue 30), when the
 * error's code has a text there; otherwise unchanged (English). Says which with Content-Language
 * and Vary, so caches keep the languages apart. Only `detail` changes: `error` is the contract.
 */
export function localizeProblem(problem: Problem, req: Request, res: Response): Problem {
  if (!req.get('accept-language')) return problem;
  catalogs ??= loadDetailCatalogs();
  res.vary('Accept-Language');
  const language = req.acceptsLanguages(catalogs.languages as string[]);
  const detail = typeof language === 'string' && language !== 'en' ? catalogs.detail(language, problem.error) : undefined;
  if (detail === undefined) return problem;
  res.set('content-language', language as string);
  return { ...problem, detail };
}
