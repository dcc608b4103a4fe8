import { AppError } from '../../../errors/app-error';
import { isUuid } from '../../ids';
import { sql } from '../../sql';
import type { StreamDeps } from './streams';
import { readStreamStatus } from './streams';

/**
 * SSF 1.0 §8.1.3: subjects of a stream. Streams start with every user (default_subjects ALL, as
 * the CAEP interoperability profile has receivers assume); removing a subject stops that user's
 * events on the stream, adding it back resumes them. Users can be named by iss_sub (our issuer and
 * the user id), by email, or by a complex subject with a `user` member. A subject that names no
 * user is accepted and changes nothing (§9.1: the answer must not tell whether an account exists).
 */

type Subject = Record<string, unknown>;

function invalid(reason: string): AppError {
  return new AppError('invalid_request', `The request body is invalid: subject: ${reason}.`, { fields: { invalid_params: [{ name: 'subject', reason }] } });
}

async function userOf(deps: StreamDeps & { subjectIssuer: string }, subject: unknown): Promise<string | undefined> {
  if (subject === null || typeof subject !== 'object' || Array.isArray(subject)) throw invalid('must be a subject identifier object');
  const s = subject as Subject;
  switch (s.format) {
    case 'iss_sub':
      if (typeof s.iss !== 'string' || typeof s.sub !== 'string') throw invalid('iss_sub needs iss and sub');
      return s.iss === deps.subjectIssuer && isUuid(s.sub) ? s.sub : undefined;
    case 'email': {
      if (typeof s.email !== 'string' || s.email.length > 320) throw invalid('email needs an email');
      const { rows } = await sql<{ id: string }>(deps.dataSource, `SELECT id FROM auth.users WHERE email = $1`, [s.email.trim().toLowerCase()]);
      return rows[0]?.id;
    }
    case 'complex':
      return s.user === undefined ? undefined : userOf(deps, s.user);
    case 'opaque':
      return undefined;
    default:
      throw invalid('format must be iss_sub, email, opaque or complex');
  }
}

/** Adds (`include`) or removes a subject; resolves whether or not the subject is a user of ours. */
export async function changeSubject(deps: StreamDeps & { subjectIssuer: string }, clientId: string, input: { stream_id?: unknown; subject?: unknown }, include: boolean): Promise<void> {
  const { stream_id: streamId } = await readStreamStatus(deps, clientId, typeof input.stream_id === 'string' ? input.stream_id : undefined);
  const userId = await userOf(deps, input.subject);
  if (userId === undefined) return;
  await sql(
    deps.dataSource,
    include
      ? `UPDATE auth.event_subscriptions SET excluded_user_ids = array_remove(excluded_user_ids, $2::uuid) WHERE id = $1`
      : `UPDATE auth.event_subscriptions SET excluded_user_ids = array_append(array_remove(excluded_user_ids, $2::uuid), $2::uuid) WHERE id = $1`,
    [streamId, userId],
  );
}
