import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { Page, type PaginationQueryDto } from '../common/http/pagination';
import { Clock } from '../common/time/clock';
import { Transactions } from '../database/transactions';
import { IdGenerator } from '../subscribers/id-generator';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, PasswordHasher } from './password-hasher';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { roleAllows, type StaffRole } from './roles';
import type { StaffUserEntity } from './staff-user.entity';
import { type StaffUserPatch, StaffUsersRepository } from './staff-users.repository';

/** A staff user as shown to admins: never the password hash. */
export interface StaffUser {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  disabled: boolean;
  lastLoginAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface CreateStaffInput {
  email: string;
  name: string;
  role: StaffRole;
  password: string;
}

export interface UpdateStaffInput {
  name?: string;
  role?: StaffRole;
  disabled?: boolean;
  password?: string;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function toStaffUser(entity: StaffUserEntity): StaffUser {
  return {
    id: entity.id,
    email: entity.email,
    name: entity.name,
    role: entity.role,
    disabled: entity.disabled,
    lastLoginAt: entity.lastLoginAt,
    createdAt: entity.createdAt,
    updatedAt: entity.updatedAt,
  };
}

/** True when the change takes admin power away from a user who has it now. */
function removesAdmin(current: StaffUserEntity, change: UpdateStaffInput | 'delete'): boolean {
  if (current.role !== 'admin' || current.disabled) {
    return false;
  }
  return (
    change === 'delete' || change.disabled === true || (change.role !== undefined && change.role !== 'admin')
  );
}

const LAST_ADMIN = 'The last enabled admin cannot be disabled, demoted or deleted; make another admin first';

/** Staff users: CRUD for admins and the CLI; the last enabled admin is always kept. */
@Injectable()
export class StaffService {
  constructor(
    private readonly staff: StaffUsersRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly hasher: PasswordHasher,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly transactions: Transactions,
  ) {}

  async create(input: CreateStaffInput): Promise<StaffUser> {
    assertPasswordLength(input.password);
    const now = this.clock.now();
    const entity: StaffUserEntity = {
      id: this.ids.newId(),
      email: normalizeEmail(input.email),
      name: input.name,
      role: input.role,
      passwordHash: await this.hasher.hash(input.password),
      disabled: false,
      lastLoginAt: null,
      createdAt: now,
      updatedAt: now,
    };
    if (!(await this.staff.insert(entity))) {
      throw new AppError(ErrorCode.CONFLICT, `A staff user with email ${entity.email} exists`);
    }
    return toStaffUser(entity);
  }

  async count(): Promise<number> {
    return this.staff.count();
  }

  async list(query: PaginationQueryDto): Promise<Page<StaffUser>> {
    const [items, total] = await this.staff.findPage(query.offset, query.pageSize);
    return Page.of(items.map(toStaffUser), total, query);
  }

  async get(id: string): Promise<StaffUser> {
    return toStaffUser(await this.load(id));
  }

  /** Disabling, demoting or a new password ends every session of the user. */
  async update(id: string, input: UpdateStaffInput): Promise<StaffUser> {
    const current = await this.load(id);
    const now = this.clock.now();
    const patch: StaffUserPatch = { updatedAt: now };
    if (input.name !== undefined) {
      patch.name = input.name;
    }
    if (input.role !== undefined) {
      patch.role = input.role;
    }
    if (input.disabled !== undefined) {
      patch.disabled = input.disabled;
    }
    if (input.password !== undefined) {
      assertPasswordLength(input.password);
      patch.passwordHash = await this.hasher.hash(input.password);
    }
    const guarded = removesAdmin(current, input);
    if (!(await this.staff.update(id, patch, guarded))) {
      throw guarded && (await this.staff.findById(id)) !== null
        ? new AppError(ErrorCode.CONFLICT, LAST_ADMIN)
        : AppError.notFound(`Staff user ${id}`);
    }
    const demoted = input.role !== undefined && !roleAllows(input.role, current.role);
    if (input.disabled === true || demoted || input.password !== undefined) {
      await this.refreshTokens.revokeAllOf(id, now);
    }
    return this.get(id);
  }

  /**
   * Deletes the user (its sessions go with it). `alongside` runs in the same transaction first, e.g. to
   * revoke or hand over what the user owns; if the delete is refused, its work is rolled back too.
   */
  async delete<T>(id: string, alongside?: (manager: EntityManager) => Promise<T>): Promise<T | undefined> {
    const current = await this.assertDeletable(id);
    const guarded = removesAdmin(current, 'delete');
    return this.transactions.run(async (manager) => {
      const result = await alongside?.(manager);
      if (!(await this.staff.delete(id, guarded, manager))) {
        throw guarded && (await this.staff.findById(id)) !== null
          ? new AppError(ErrorCode.CONFLICT, LAST_ADMIN)
          : AppError.notFound(`Staff user ${id}`);
      }
      return result;
    });
  }

  /**
   * The user, when deleting it would keep an enabled admin (checked again, atomically, by the delete itself;
   * asked first so that this refusal comes before any about what the user owns).
   */
  async assertDeletable(id: string): Promise<StaffUserEntity> {
    const current = await this.load(id);
    if (removesAdmin(current, 'delete') && !(await this.staff.anotherEnabledAdminExists(id))) {
      throw new AppError(ErrorCode.CONFLICT, LAST_ADMIN);
    }
    return current;
  }

  private async load(id: string): Promise<StaffUserEntity> {
    const entity = await this.staff.findById(id);
    if (entity === null) {
      throw AppError.notFound(`Staff user ${id}`);
    }
    return entity;
  }
}

/** The DTOs check this too; the CLI and ADMIN_PASSWORD come through here. */
function assertPasswordLength(password: string): void {
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
    throw AppError.validation([
      {
        field: 'password',
        message: `password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`,
      },
    ]);
  }
}
