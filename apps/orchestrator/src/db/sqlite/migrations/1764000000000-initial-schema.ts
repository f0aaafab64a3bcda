import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The results schema as of the first release; later changes go in new migration files, never edits here. */
export class InitialSchema1764000000000 implements MigrationInterface {
  // Explicit, because TypeORM reads the timestamp from the name and bundlers may rename classes.
  name = 'InitialSchema1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "sweep" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar NOT NULL, ` +
        `"specPath" varchar NOT NULL, "specJson" text NOT NULL, "status" varchar NOT NULL, "startedAt" datetime NOT NULL, ` +
        `"finishedAt" datetime, CONSTRAINT "UQ_sweep_name" UNIQUE ("name"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "run" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "key" varchar NOT NULL, "model" varchar NOT NULL, ` +
        `"source" varchar NOT NULL, "target" varchar NOT NULL, "seed" integer NOT NULL, "configJson" text NOT NULL, ` +
        `"overridesJson" text NOT NULL, "status" varchar NOT NULL, "attempts" integer NOT NULL, "exitCode" integer, ` +
        `"signal" varchar, "stderrTail" text, "failuresJson" text NOT NULL, "createdAt" datetime NOT NULL, ` +
        `"startedAt" datetime, "finishedAt" datetime, "durationMs" integer, "backend" varchar, "host" varchar, ` +
        `"gitCommit" varchar, "gitDirty" boolean, "packageVersionsJson" text, "bestEpoch" integer, "epochsRun" integer, ` +
        `"expertUsageJson" text, CONSTRAINT "UQ_run_key" UNIQUE ("key"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_run_status" ON "run" ("status")`);
    await queryRunner.query(
      `CREATE TABLE "sweep_run" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "sweepId" integer NOT NULL, ` +
        `"runId" integer NOT NULL, "study" varchar NOT NULL, "gridJson" text NOT NULL, ` +
        `CONSTRAINT "UQ_sweep_run_link" UNIQUE ("sweepId", "runId", "study"), ` +
        `CONSTRAINT "FK_sweep_run_sweep" FOREIGN KEY ("sweepId") REFERENCES "sweep" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, ` +
        `CONSTRAINT "FK_sweep_run_run" FOREIGN KEY ("runId") REFERENCES "run" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_sweep_run_run" ON "sweep_run" ("runId")`);
    await queryRunner.query(
      `CREATE TABLE "metric" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "runId" integer NOT NULL, ` +
        `"split" varchar NOT NULL, "name" varchar NOT NULL, "value" real, ` +
        `CONSTRAINT "UQ_metric_run_split_name" UNIQUE ("runId", "split", "name"), ` +
        `CONSTRAINT "FK_metric_run" FOREIGN KEY ("runId") REFERENCES "run" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `CREATE TABLE "epoch_log" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "runId" integer NOT NULL, ` +
        `"attempt" integer NOT NULL, "epoch" integer NOT NULL, "maxEpochs" integer NOT NULL, "lossesJson" text NOT NULL, ` +
        `"validJson" text NOT NULL, "samplesPerSecond" real, "createdAt" datetime NOT NULL, ` +
        `CONSTRAINT "UQ_epoch_log_run_attempt_epoch" UNIQUE ("runId", "attempt", "epoch"), ` +
        `CONSTRAINT "FK_epoch_log_run" FOREIGN KEY ("runId") REFERENCES "run" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `CREATE TABLE "artifact" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "runId" integer NOT NULL, ` +
        `"kind" varchar NOT NULL, "path" varchar NOT NULL, "createdAt" datetime NOT NULL, ` +
        `CONSTRAINT "UQ_artifact_run_kind_path" UNIQUE ("runId", "kind", "path"), ` +
        `CONSTRAINT "FK_artifact_run" FOREIGN KEY ("runId") REFERENCES "run" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['artifact', 'epoch_log', 'metric', 'sweep_run', 'run', 'sweep']) {
      await queryRunner.query(`DROP TABLE "${table}"`);
    }
  }
}
