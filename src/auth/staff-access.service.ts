import { Injectable } from '@nestjs/common';

import { type AuditContext, systemContext } from '../audit/audit-context';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { ApiKeysService, type KeyDisposal } from './api-keys.service';
import { roleAllows } from './roles';
import { type StaffUser, StaffService, type UpdateStaffInput } from './staff.service';

/**
 * Admin changes to a staff user together with what they mean for the user's API keys (StaffService alone is
 * what the CLI needs; keys and the audit trail live in the HTTP app):
 * - disabled: the keys stop working with their owner (checked per request) and start again when re-enabled;
 * - demoted: keys above the new role are capped at it (authentication caps them per request anyway);
 * - deleted: refused while the user owns live keys, unless the admin says what becomes of them, revoked or
 *   transferred to a successor, in the deleting transaction.
 * Each key changed gets its own audit row: automatic consequences as the system, chosen ones as the admin.
 */
@Injectable()
export class StaffAccessService {
  constructor(
    private readonly staff: StaffService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  async update(id: string, input: UpdateStaffInput, context: AuditContext): Promise<StaffUser> {
    const before = await this.staff.get(id);
    const after = await this.staff.update(id, input);
    if (!roleAllows(after.role, before.role)) {
      await this.apiKeys.capKeysOf(id, after.role, systemContext(context));
    }
    if (before.disabled !== after.disabled) {
      await this.apiKeys.recordOwnerDisabled(id, after.disabled, systemContext(context));
    }
    return after;
  }

  async delete(id: string, disposal: KeyDisposal | undefined, context: AuditContext): Promise<void> {
    await this.staff.assertDeletable(id);
    if (disposal === undefined) {
      const live = await this.apiKeys.liveKeysOf(id);
      if (live.length > 0) {
        throw new AppError(
          ErrorCode.STAFF_OWNS_API_KEYS,
          `Staff user ${id} owns ${live.length} active API key(s); delete with ?keys=revoke, or with ` +
            '?keys=transfer:<staff id> to hand them to a successor',
          { extensions: { apiKeys: live.map((key) => ({ id: key.id, name: key.name, role: key.role })) } },
        );
      }
    }
    // Keys created between the check above and the delete lose their owner with it (the foreign key sets
    // owner_id to null), and ownerless keys are refused: nothing can outlive the user either way.
    const changes = await this.staff.delete(id, (manager) =>
      disposal === undefined ? Promise.resolve([]) : this.apiKeys.disposeKeysOf(id, disposal, manager),
    );
    await this.apiKeys.recordChanges(changes ?? [], context);
  }
}
