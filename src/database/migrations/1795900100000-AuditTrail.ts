import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * The append-only, hash-chained audit trail and its one-row chain head (src/audit/). Portable Table API: the
 * same file runs on SQLite and PostgreSQL. No foreign key to subscribers: audit rows outlive deleted companies.
 */
export class AuditTrail1795900100000 implements MigrationInterface {
  name = 'AuditTrail1795900100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          { name: 'seq', type: 'integer', isPrimary: true },
          { name: 'id', type: 'varchar', length: '36' },
          { name: 'at', type: 'bigint' },
          { name: 'actor_kind', type: 'varchar', length: '16' },
          { name: 'actor_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'actor_label', type: 'varchar', length: '320' },
          { name: 'action', type: 'varchar', length: '200' },
          { name: 'subscriber_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'target', type: 'varchar', length: '500', isNullable: true },
          { name: 'request_id', type: 'varchar', length: '128', isNullable: true },
          { name: 'outcome', type: 'varchar', length: '16' },
          { name: 'details', type: 'text', isNullable: true },
          { name: 'prev_hash', type: 'varchar', length: '64' },
          { name: 'hash', type: 'varchar', length: '64' },
        ],
      }),
    );
    for (const [name, column] of [
      ['IDX_audit_events_at', 'at'],
      ['IDX_audit_events_action', 'action'],
      ['IDX_audit_events_subscriber_id', 'subscriber_id'],
      ['IDX_audit_events_actor_id', 'actor_id'],
    ] as const) {
      await queryRunner.createIndex('audit_events', new TableIndex({ name, columnNames: [column] }));
    }

    await queryRunner.createTable(
      new Table({
        name: 'audit_chain_head',
        columns: [
          { name: 'id', type: 'varchar', length: '16', isPrimary: true },
          { name: 'last_seq', type: 'integer' },
          { name: 'last_hash', type: 'varchar', length: '64' },
        ],
      }),
    );
    // The empty chain; appenders lock and advance this row.
    await queryRunner.query(
      `INSERT INTO audit_chain_head (id, last_seq, last_hash) VALUES ('audit', 0, '${'0'.repeat(64)}')`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_chain_head');
    await queryRunner.dropTable('audit_events', true, true, true);
  }
}
