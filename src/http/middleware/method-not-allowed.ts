import type { RequestHandler, Router } from 'express';
import { AppError } from '../../errors/app-error';

/** 405 with `Allow` for a known path asked with another method. */
export function methodNotAllowed(allow: string): RequestHandler {
  return (req, _res, next) => {
    next(new AppError('method_not_allowed', `${req.method} is not allowed here; use ${allow}.`, { headers: { allow } }));
  };
}

/** Registers the 405 answer for each `[path, allowed methods]`: call it after the paths' own routes. */
export function answerOtherMethods(router: Router, paths: readonly (readonly [path: string, allow: string])[]): void {
  for (const [path, allow] of paths) router.all(path, methodNotAllowed(allow));
}
