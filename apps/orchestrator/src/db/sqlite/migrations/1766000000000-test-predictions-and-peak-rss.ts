import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-run evidence: the target test split's predictions and labels (JSON), which paired per-sample tests (McNemar)
 * compare between methods, and the worker's peak resident set size in bytes. Both stay NULL for earlier runs.
 */
export class TestPredictionsAndPeakRss1766000000000 implements MigrationInterface {
  name = 'TestPredictionsAndPeakRss1766000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "run" ADD COLUMN "testPredictionsJson" text`);
    await queryRunner.query(`ALTER TABLE "run" ADD COLUMN "peakRssBytes" integer`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "run" DROP COLUMN "peakRssBytes"`);
    await queryRunner.query(`ALTER TABLE "run" DROP COLUMN "testPredictionsJson"`);
  }
}
