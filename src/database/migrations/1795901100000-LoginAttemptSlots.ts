import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * Sign-in attempts reserve a slot before their password is checked (`pending`), so concurrent guesses cannot
 * all be checked before the first failure is counted. Existing rows have nothing in flight.
 */
export class LoginAttemptSlots1795901100000 implements MigrationInterface {
  name = 'LoginAttemptSlots1795901100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'login_failures',
      new TableColumn({ name: 'pending', type: 'integer', default: 0 }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('login_failures', 'pending');
  }
}
