import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, In, type Repository } from 'typeorm';

import { isUniqueViolation } from '../database/unique-violation';
import { StaffUserEntity } from './staff-user.entity';

export type StaffUserPatch = Partial<
  Pick<StaffUserEntity, 'name' | 'role' | 'passwordHash' | 'disabled' | 'lastLoginAt' | 'updatedAt'>
>;

// Appended to an UPDATE or DELETE of an enabled admin: it applies only while another enabled admin remains.
// One statement, so SQLite (a single writer) can never end with no admin. On PostgreSQL two admins demoting
// each other at the same instant could both pass; that needs two admins racing and is accepted here.
const ANOTHER_ENABLED_ADMIN =
  "EXISTS (SELECT 1 FROM staff_users other WHERE other.role = 'admin' AND other.disabled = :no AND other.id <> :id)";

@Injectable()
export class StaffUsersRepository {
  constructor(@InjectRepository(StaffUserEntity) private readonly staff: Repository<StaffUserEntity>) {}

  findById(id: string): Promise<StaffUserEntity | null> {
    return this.staff.findOneBy({ id });
  }

  findByIds(ids: string[]): Promise<StaffUserEntity[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.staff.findBy({ id: In(ids) });
  }

  findByEmail(email: string): Promise<StaffUserEntity | null> {
    return this.staff.findOneBy({ email });
  }

  count(): Promise<number> {
    return this.staff.count();
  }

  /** False when the email is taken (also when a concurrent insert won the race). */
  async insert(user: StaffUserEntity): Promise<boolean> {
    try {
      await this.staff.insert(user);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) {
        return false;
      }
      throw error;
    }
  }

  /** Oldest first, so pages stay stable while staff are added. */
  findPage(offset: number, limit: number): Promise<[StaffUserEntity[], number]> {
    return this.staff.findAndCount({ order: { createdAt: 'ASC', id: 'ASC' }, skip: offset, take: limit });
  }

  /** True when an enabled admin other than `id` exists. */
  anotherEnabledAdminExists(id: string): Promise<boolean> {
    return this.staff
      .createQueryBuilder('other')
      .where("other.role = 'admin' AND other.disabled = :no AND other.id <> :id", { no: false, id })
      .getExists();
  }

  /** False when no row changed: the user is gone, or `keepAnotherAdmin` and no other enabled admin exists. */
  async update(id: string, patch: StaffUserPatch, keepAnotherAdmin = false): Promise<boolean> {
    const query = this.staff
      .createQueryBuilder()
      .update(StaffUserEntity)
      .set(patch)
      .where('id = :id', { id });
    if (keepAnotherAdmin) {
      query.andWhere(ANOTHER_ENABLED_ADMIN, { no: false });
    }
    return ((await query.execute()).affected ?? 0) > 0;
  }

  async delete(id: string, keepAnotherAdmin = false, manager?: EntityManager): Promise<boolean> {
    const query = (manager?.getRepository(StaffUserEntity) ?? this.staff)
      .createQueryBuilder()
      .delete()
      .from(StaffUserEntity)
      .where('id = :id', { id });
    if (keepAnotherAdmin) {
      query.andWhere(ANOTHER_ENABLED_ADMIN, { no: false });
    }
    return ((await query.execute()).affected ?? 0) > 0;
  }
}
