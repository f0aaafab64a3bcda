import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The results schema of the first release, in PostgreSQL: the same tables as sqlite/migrations' migration of this name. */
export class InitialSchema1764000000000 implements MigrationInterface {
  // Explicit, because TypeORM reads the timestamp from the name and bundlers may rename classes.
  name = 'InitialSchema1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const time = 'TIMESTAMP WITH TIME ZONE';
    await queryRunner.query(
      `CREATE TABLE "sweep" ("id" SERIAL NOT NULL, "name" character varying NOT NULL, "specPath" character varying NOT NULL, ` +
        `"specJson" text NOT NULL, "status" character varying NOT NULL, "startedAt" ${time} NOT NULL, "finishedAt" ${time}, ` +
        `CONSTRAINT "UQ_sweep_name" UNIQUE ("name"), CONSTRAINT "PK_1e2e82827097e3525af9f7ac1e3" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "run" ("id" SERIAL NOT NULL, "key" character varying NOT NULL, "model" character varying NOT NULL, ` +
        `"source" character varying NOT NULL, "target" character varying NOT NULL, "seed" integer NOT NULL, "configJson" text NOT NULL, ` +
        `"overridesJson" text NOT NULL, "status" character varying NOT NULL, "attempts" integer NOT NULL, "exitCode" integer, ` +
        `"signal" character varying, "stderrTail" text, "failuresJson" text NOT NULL, "createdAt" ${time} NOT NULL, ` +
        `"startedAt" ${time}, "finishedAt" ${time}, "durationMs" integer, "backend" character varying, "host" character varying, ` +
        `"gitCommit" character varying, "gitDirty" boolean, "packageVersionsJson" text, "bestEpoch" integer, "epochsRun" integer, ` +
        `"expertUsageJson" text, CONSTRAINT "UQ_run_key" UNIQUE ("key"), CONSTRAINT "PK_804c38ffba92002c6d2c646dd46" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_run_status" ON "run" ("status")`);
    await queryRunner.query(
      `CREATE TABLE "sweep_run" ("id" SERIAL NOT NULL, "sweepId" integer NOT NULL, "runId" integer NOT NULL, ` +
        `"study" character varying NOT NULL, "gridJson" text NOT NULL, CONSTRAINT "UQ_sweep_run_link" UNIQUE ("sweepId", "runId", "study"), ` +
        `CONSTRAINT "PK_55b2e4343e1b7da08783ed6b079" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_sweep_run_run" ON "sweep_run" ("runId")`);
    await queryRunner.query(
      `CREATE TABLE "metric" ("id" SERIAL NOT NULL, "runId" integer NOT NULL, "split" character varying NOT NULL, ` +
        `"name" character varying NOT NULL, "value" double precision, CONSTRAINT "UQ_metric_run_split_name" UNIQUE ("runId", "split", "name"), ` +
        `CONSTRAINT "PK_7d24c075ea2926dd32bd1c534ce" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "epoch_log" ("id" SERIAL NOT NULL, "runId" integer NOT NULL, "attempt" integer NOT NULL, "epoch" integer NOT NULL, ` +
        `"maxEpochs" integer NOT NULL, "lossesJson" text NOT NULL, "validJson" text NOT NULL, "samplesPerSecond" double precision, ` +
        `"createdAt" ${time} NOT NULL, CONSTRAINT "UQ_epoch_log_run_attempt_epoch" UNIQUE ("runId", "attempt", "epoch"), ` +
        `CONSTRAINT "PK_21b3d8d2861f7418cc84e13200b" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "artifact" ("id" SERIAL NOT NULL, "runId" integer NOT NULL, "kind" character varying NOT NULL, ` +
        `"path" character varying NOT NULL, "createdAt" ${time} NOT NULL, CONSTRAINT "UQ_artifact_run_kind_path" UNIQUE ("runId", "kind", "path"), ` +
        `CONSTRAINT "PK_1f238d1d4ef8f85d0c0b8616fa3" PRIMARY KEY ("id"))`,
    );
    const cascade = 'ON DELETE CASCADE ON UPDATE NO ACTION';
    await queryRunner.query(`ALTER TABLE "sweep_run" ADD CONSTRAINT "FK_sweep_run_sweep" FOREIGN KEY ("sweepId") REFERENCES "sweep"("id") ${cascade}`);
    for (const table of ['sweep_run', 'metric', 'epoch_log', 'artifact']) {
      await queryRunner.query(`ALTER TABLE "${table}" ADD CONSTRAINT "FK_${table}_run" FOREIGN KEY ("runId") REFERENCES "run"("id") ${cascade}`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['artifact', 'epoch_log', 'metric', 'sweep_run', 'run', 'sweep']) {
      await queryRunner.query(`DROP TABLE "${table}"`);
    }
  }
}
