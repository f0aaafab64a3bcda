import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The PostgreSQL twin of sqlite/migrations' migration of this name. */
export class ClaimsAndExecutors1765000000000 implements MigrationInterface {
  name = 'ClaimsAndExecutors1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const time = 'TIMESTAMP WITH TIME ZONE';
    await queryRunner.query(
      `ALTER TABLE "sweep" ADD COLUMN "executor" character varying, ADD COLUMN "executorStateJson" text, ` +
        `ADD COLUMN "ownerHost" character varying, ADD COLUMN "ownerPid" integer, ADD COLUMN "ownerToken" character varying, ` +
        `ADD COLUMN "heartbeatAt" ${time}`,
    );
    await queryRunner.query(`ALTER TABLE "run" ADD COLUMN "adaptationJson" text, ADD COLUMN "claimedBy" integer`);
    await queryRunner.query(`ALTER TABLE "epoch_log" ADD COLUMN "learningRate" double precision, ADD COLUMN "diagnosticsJson" text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "epoch_log" DROP COLUMN "diagnosticsJson", DROP COLUMN "learningRate"`);
    await queryRunner.query(`ALTER TABLE "run" DROP COLUMN "claimedBy", DROP COLUMN "adaptationJson"`);
    await queryRunner.query(
      `ALTER TABLE "sweep" DROP COLUMN "heartbeatAt", DROP COLUMN "ownerToken", DROP COLUMN "ownerPid", DROP COLUMN "ownerHost", ` +
        `DROP COLUMN "executorStateJson", DROP COLUMN "executor"`,
    );
  }
}
