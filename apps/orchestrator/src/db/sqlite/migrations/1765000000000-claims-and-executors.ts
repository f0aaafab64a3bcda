import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sweep ownership and executors (a heartbeat, the owner process, what the executor keeps to find its jobs after a
 * crash), run claims, and what newer trainers report (learning rate and diagnostics per epoch, adaptation per run).
 */
export class ClaimsAndExecutors1765000000000 implements MigrationInterface {
  name = 'ClaimsAndExecutors1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const column of [
      `"executor" varchar`,
      `"executorStateJson" text`,
      `"ownerHost" varchar`,
      `"ownerPid" integer`,
      `"ownerToken" varchar`,
      `"heartbeatAt" datetime`,
    ]) {
      await queryRunner.query(`ALTER TABLE "sweep" ADD COLUMN ${column}`);
    }
    await queryRunner.query(`ALTER TABLE "run" ADD COLUMN "adaptationJson" text`);
    await queryRunner.query(`ALTER TABLE "run" ADD COLUMN "claimedBy" integer`);
    await queryRunner.query(`ALTER TABLE "epoch_log" ADD COLUMN "learningRate" real`);
    await queryRunner.query(`ALTER TABLE "epoch_log" ADD COLUMN "diagnosticsJson" text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [table, column] of [
      ['epoch_log', 'diagnosticsJson'],
      ['epoch_log', 'learningRate'],
      ['run', 'claimedBy'],
      ['run', 'adaptationJson'],
      ['sweep', 'heartbeatAt'],
      ['sweep', 'ownerToken'],
      ['sweep', 'ownerPid'],
      ['sweep', 'ownerHost'],
      ['sweep', 'executorStateJson'],
      ['sweep', 'executor'],
    ]) {
      await queryRunner.query(`ALTER TABLE "${table}" DROP COLUMN "${column}"`);
    }
  }
}
