import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * Provisioning templates, one row per version (unique name + version). Portable Table API only; instants are
 * epoch-ms `bigint` (see src/database/columns.ts).
 */
export class ProvisioningTemplates1795900300000 implements MigrationInterface {
  name = 'ProvisioningTemplates1795900300000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'provisioning_templates',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'version', type: 'integer' },
          { name: 'description', type: 'varchar', length: '500', isNullable: true },
          { name: 'spec', type: 'text' },
          { name: 'created_at', type: 'bigint' },
          { name: 'created_by', type: 'varchar', length: '320' },
        ],
      }),
    );
    await queryRunner.createIndex(
      'provisioning_templates',
      new TableIndex({
        name: 'UQ_provisioning_templates_name_version',
        columnNames: ['name', 'version'],
        isUnique: true,
      }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('provisioning_templates');
  }
}
