import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { AUTH_SCHEMA } from './schema';

/**
 * Counters of rate-limiter-flexible's PostgreSQL store (login throttling), shared by every
 * instance of the service. The library's own column names and order are kept because it writes
 * `INSERT ... VALUES (key, points, expire)`; the table comes from a migration and the runtime
 * tells the library `tableCreated: true`, so it never runs DDL. `expire` is epoch milliseconds.
 */
@Entity({ name: 'rate_limits', schema: AUTH_SCHEMA })
@Index(['expire'])
export class RateLimit {
  @PrimaryColumn({ type: 'varchar', length: 255 })
  key!: string;

  @Column({ type: 'integer', default: 0 })
  points!: number;

  @Column({ type: 'bigint', nullable: true })
  expire!: string | null;
}
