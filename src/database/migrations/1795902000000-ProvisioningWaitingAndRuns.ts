import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * Items that wait for the subscriber's relationship (`waiting`, with the reason and the instant they give up),
 * the job's waiting counter, and the job's run number (retry and resume open a new run; each run ends with one
 * `job.finished`). Webhook events of onboard and reapply actions say how their job went: `job_created`, then
 * `job_succeeded` or `job_failed` (the old `succeeded` of such an event meant "job created").
 */
export class ProvisioningWaitingAndRuns1795902000000 implements MigrationInterface {
  name = 'ProvisioningWaitingAndRuns1795902000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('provisioning_items', [
      new TableColumn({ name: 'wait_reason', type: 'varchar', length: '32', isNullable: true }),
      new TableColumn({ name: 'wait_until', type: 'bigint', isNullable: true }),
    ]);
    await queryRunner.addColumns('provisioning_jobs', [
      new TableColumn({ name: 'items_waiting', type: 'integer', default: 0 }),
      new TableColumn({ name: 'run', type: 'integer', default: 1 }),
    ]);
    await queryRunner.query(
      `UPDATE webhook_events SET status = CASE
         WHEN (SELECT j.state FROM provisioning_jobs j WHERE j.id = webhook_events.job_id) = 'succeeded'
           THEN 'job_succeeded'
         WHEN (SELECT j.state FROM provisioning_jobs j WHERE j.id = webhook_events.job_id)
           IN ('completed_with_errors', 'failed', 'cancelled') THEN 'job_failed'
         ELSE 'job_created' END
       WHERE status = 'succeeded' AND job_id IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `UPDATE webhook_events SET status = 'succeeded'
       WHERE status IN ('job_created', 'job_succeeded', 'job_failed')`,
    );
    await queryRunner.dropColumn('provisioning_jobs', 'run');
    await queryRunner.dropColumn('provisioning_jobs', 'items_waiting');
    await queryRunner.dropColumn('provisioning_items', 'wait_until');
    await queryRunner.dropColumn('provisioning_items', 'wait_reason');
  }
}
