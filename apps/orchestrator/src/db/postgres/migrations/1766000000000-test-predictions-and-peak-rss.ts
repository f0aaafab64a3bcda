import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The PostgreSQL twin of sqlite/migrations' migration of this name (peak RSS as bigint: bytes outgrow integer). */
export class TestPredictionsAndPeakRss1766000000000 implements MigrationInterface {
  name = 'TestPredictionsAndPeakRss1766000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "run" ADD COLUMN "testPredictionsJson" text, ADD COLUMN "peakRssBytes" bigint`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "run" DROP COLUMN "peakRssBytes", DROP COLUMN "testPredictionsJson"`);
  }
}
