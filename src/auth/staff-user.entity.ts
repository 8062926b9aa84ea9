import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../database/columns';
import type { StaffRole } from './roles';

/** A MiSP staff member who signs in to Tenantry. */
@Entity('staff_users')
@Index('UQ_staff_users_email', ['email'], { unique: true })
export class StaffUserEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** Stored lower-case, so uniqueness and sign-in ignore case on SQLite and PostgreSQL alike. */
  @Column({ type: 'varchar', length: 320 })
  email!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  role!: StaffRole;

  /** A self-describing scrypt hash (see PasswordHasher); never the password. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash!: string;

  @Column({ type: 'boolean' })
  disabled!: boolean;

  @InstantColumn({ name: 'last_login_at', nullable: true })
  lastLoginAt!: Date | null;

  @InstantColumn({ name: 'created_at' })
  createdAt!: Date;

  @InstantColumn({ name: 'updated_at' })
  updatedAt!: Date;
}
