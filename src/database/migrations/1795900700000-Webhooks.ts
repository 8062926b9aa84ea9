import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * Signed inbound webhooks (src/webhooks): sources, their vault-sealed signing secrets (several active during a
 * rotation) and the verified events, deduplicated by a unique (source_id, webhook_id) index. Portable Table
 * API (SQLite and PostgreSQL). No foreign keys: the event log outlives deleted sources.
 */
export class Webhooks1795900700000 implements MigrationInterface {
  name = 'Webhooks1795900700000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const instant = (name: string, isNullable = false) => ({ name, type: 'bigint', isNullable });
    const text = (name: string, length: number, isNullable = false) => ({
      name,
      type: 'varchar',
      length: String(length),
      isNullable,
    });

    await queryRunner.createTable(
      new Table({
        name: 'webhook_sources',
        columns: [
          { ...text('id', 36), isPrimary: true },
          text('name', 200),
          text('scheme', 32),
          { name: 'hmac_settings', type: 'text', isNullable: true },
          text('event_type_field', 200),
          { name: 'rules', type: 'text' },
          { name: 'rate_limit_per_second', type: 'integer' },
          { name: 'enabled', type: 'boolean' },
          instant('created_at'),
          instant('updated_at'),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'webhook_source_secrets',
        columns: [
          { ...text('id', 36), isPrimary: true },
          text('source_id', 36),
          { name: 'secret_sealed', type: 'text' },
          text('key_id', 32),
          instant('created_at'),
          instant('retired_at', true),
        ],
        indices: [
          new TableIndex({ name: 'IDX_webhook_source_secrets_source_id', columnNames: ['source_id'] }),
          new TableIndex({ name: 'IDX_webhook_source_secrets_key_id', columnNames: ['key_id'] }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'webhook_events',
        columns: [
          { ...text('id', 36), isPrimary: true },
          text('source_id', 36),
          text('webhook_id', 255),
          text('event_type', 200),
          text('action', 32),
          text('status', 16),
          text('subscriber_id', 36, true),
          text('job_id', 36, true),
          text('error_code', 64, true),
          text('error_message', 500, true),
          { name: 'payload', type: 'text' },
          instant('received_at'),
          instant('processed_at', true),
          { name: 'replays', type: 'integer' },
        ],
        indices: [
          new TableIndex({
            name: 'UQ_webhook_events_source_webhook_id',
            columnNames: ['source_id', 'webhook_id'],
            isUnique: true,
          }),
          new TableIndex({ name: 'IDX_webhook_events_status', columnNames: ['status'] }),
          new TableIndex({ name: 'IDX_webhook_events_received_at', columnNames: ['received_at'] }),
        ],
      }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('webhook_events');
    await queryRunner.dropTable('webhook_source_secrets');
    await queryRunner.dropTable('webhook_sources');
  }
}
