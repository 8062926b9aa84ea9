import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * The provisioning ledger (jobs → items → steps, and the event log behind the job stream) and the
 * Idempotency-Key table (src/common/idempotency). Portable Table API: the same file runs on SQLite and
 * PostgreSQL. No foreign keys: items are written in bulk and the ledger outlives deleted subscribers.
 */
export class ProvisioningLedger1795900400000 implements MigrationInterface {
  name = 'ProvisioningLedger1795900400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const counter = (name: string) => ({ name, type: 'integer' });
    const instant = (name: string, isNullable = false) => ({ name, type: 'bigint', isNullable });
    const text = (name: string, length: number, isNullable = false) => ({
      name,
      type: 'varchar',
      length: String(length),
      isNullable,
    });

    await queryRunner.createTable(
      new Table({
        name: 'provisioning_jobs',
        columns: [
          { ...text('id', 36), isPrimary: true },
          text('template_id', 36),
          counter('template_version'),
          text('mode', 8),
          text('plan_id', 36, true),
          text('state', 24),
          { name: 'options', type: 'text' },
          { name: 'max_in_flight', type: 'integer', isNullable: true },
          instant('claimed_at'),
          counter('items_total'),
          counter('items_pending'),
          counter('items_running'),
          counter('items_succeeded'),
          counter('items_failed'),
          counter('items_skipped'),
          counter('items_cancelled'),
          counter('vendor_calls'),
          text('created_by', 320),
          instant('created_at'),
          instant('started_at', true),
          instant('finished_at', true),
          instant('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'IDX_provisioning_jobs_state', columnNames: ['state'] }),
          new TableIndex({ name: 'IDX_provisioning_jobs_created_at', columnNames: ['created_at'] }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'provisioning_items',
        columns: [
          { ...text('id', 36), isPrimary: true },
          text('job_id', 36),
          text('subscriber_id', 36),
          counter('row_index'),
          { name: 'vars', type: 'text', isNullable: true },
          text('state', 16),
          counter('attempts'),
          { ...counter('failures'), default: 0 },
          counter('fence'),
          text('lease_owner', 64, true),
          instant('lease_expires_at', true),
          instant('next_attempt_at'),
          { name: 'current_step', type: 'integer', isNullable: true },
          text('last_error_code', 64, true),
          text('last_error_message', 1000, true),
          text('skip_reason', 64, true),
          counter('vendor_calls'),
          { name: 'drift', type: 'boolean' },
          instant('started_at', true),
          instant('finished_at', true),
          instant('updated_at'),
        ],
        indices: [
          new TableIndex({
            name: 'UQ_provisioning_items_job_row',
            columnNames: ['job_id', 'row_index'],
            isUnique: true,
          }),
          new TableIndex({
            name: 'IDX_provisioning_items_job_queue',
            columnNames: ['job_id', 'state', 'next_attempt_at', 'row_index'],
          }),
          new TableIndex({
            name: 'IDX_provisioning_items_state_lease',
            columnNames: ['state', 'lease_expires_at'],
          }),
          new TableIndex({
            name: 'IDX_provisioning_items_subscriber_state',
            columnNames: ['subscriber_id', 'state'],
          }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'provisioning_steps',
        columns: [
          { ...text('item_id', 36), isPrimary: true },
          { name: 'step_index', type: 'integer', isPrimary: true },
          text('kind', 32),
          text('key', 500),
          text('planned_action', 8, true),
          { name: 'desired', type: 'text' },
          text('observed', 128, true),
          counter('estimated_calls'),
          text('state', 16),
          text('result_action', 8, true),
          counter('attempts'),
          text('last_error_code', 64, true),
          text('last_error_message', 1000, true),
          { name: 'vendor_request_ids', type: 'text', isNullable: true },
          counter('vendor_calls'),
          { name: 'drift', type: 'boolean' },
          instant('updated_at'),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'provisioning_events',
        columns: [
          {
            name: 'seq',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          text('job_id', 36),
          text('item_id', 36, true),
          text('type', 32),
          { name: 'payload', type: 'text' },
          instant('at'),
        ],
        indices: [
          new TableIndex({ name: 'IDX_provisioning_events_job_seq', columnNames: ['job_id', 'seq'] }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'idempotency_keys',
        columns: [
          { ...text('scope', 100), isPrimary: true },
          { ...text('idempotency_key', 255), isPrimary: true },
          text('fingerprint', 64),
          text('state', 16),
          text('lock_token', 36),
          instant('locked_at'),
          { name: 'response_status', type: 'integer', isNullable: true },
          { name: 'response_body', type: 'text', isNullable: true },
          instant('created_at'),
          instant('expires_at'),
        ],
        indices: [new TableIndex({ name: 'IDX_idempotency_keys_expires_at', columnNames: ['expires_at'] })],
      }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'idempotency_keys',
      'provisioning_events',
      'provisioning_steps',
      'provisioning_items',
      'provisioning_jobs',
    ]) {
      await queryRunner.dropTable(table, true, true, true);
    }
  }
}
