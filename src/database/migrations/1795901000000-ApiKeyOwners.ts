import { type MigrationInterface, type QueryRunner, TableColumn, TableForeignKey, TableIndex } from 'typeorm';

/**
 * API keys get an owner: the staff user whose power a key carries (its effective role is never above the
 * owner's, and it is refused while the owner is disabled or once the owner is deleted).
 *
 * Existing keys are owned by their recorded creator (`created_by`). A key whose creator was already deleted
 * (created_by null) stays without an owner, which the API-key strategy refuses: such a key outlived its
 * person, exactly what this change stops. Nothing is revoked here; an admin may adopt such a key with
 * `POST /v1/api-keys/{id}/transfer` (audited, capped to the new owner's role) or revoke it.
 */
export class ApiKeyOwners1795901000000 implements MigrationInterface {
  name = 'ApiKeyOwners1795901000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'api_keys',
      new TableColumn({ name: 'owner_id', type: 'varchar', length: '36', isNullable: true }),
    );
    await queryRunner.createForeignKey(
      'api_keys',
      new TableForeignKey({
        name: 'FK_api_keys_owner_id',
        columnNames: ['owner_id'],
        referencedTableName: 'staff_users',
        referencedColumnNames: ['id'],
        // The database itself orphans (and so disables) the keys of a deleted user, whatever path deleted it.
        onDelete: 'SET NULL',
      }),
    );
    await queryRunner.createIndex(
      'api_keys',
      new TableIndex({ name: 'IDX_api_keys_owner_id', columnNames: ['owner_id'] }),
    );
    await queryRunner.query('UPDATE api_keys SET owner_id = created_by WHERE created_by IS NOT NULL');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('api_keys', 'IDX_api_keys_owner_id');
    await queryRunner.dropForeignKey('api_keys', 'FK_api_keys_owner_id');
    await queryRunner.dropColumn('api_keys', 'owner_id');
  }
}
