import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { AUTH_SCHEMA } from './schema';

/**
 * WebAuthn challenges that have been answered (issue 26). Challenges are made without a write
 * (signed with TOKEN_SECRET and bound to their purpose and subject, src/auth/factors/challenges.ts);
 * the first response that spends one inserts its hash here, so a replayed response is refused.
 * Rows are pruned once the challenge has expired.
 */
@Entity({ name: 'webauthn_challenges', schema: AUTH_SCHEMA })
@Index(['expiresAt'])
export class WebauthnChallenge {
  @PrimaryColumn({ type: 'bytea' })
  challengeHash!: Buffer;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  usedAt!: Date;
}
