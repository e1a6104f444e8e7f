// `npm run api`: the indexer and the HTTP API in one process (the indexer only writes while it holds
// the lease, so any number of these can serve one PostgreSQL). Graceful shutdown on SIGINT/SIGTERM:
// stop accepting, finish in-flight requests, stop the indexer at a transaction boundary, close the pool.
import type { Server } from "node:http";
import pino, { type Logger } from "pino";
import { loadDeployment, type Deployment } from "../sdk/deployment";
import { DsxError } from "../sdk/errors";
import { createApp } from "./app";
import { loadApiConfig, parseCorsOrigins, type ApiConfig } from "./config";
import { openDatabase, type DatabaseHandle } from "./db/database";
import { createIndexerClient } from "./indexer/client";
import { Indexer } from "./indexer/indexer";

export interface RunningApi {
  server: Server;
  url: string;
  indexer?: Indexer;
  database: DatabaseHandle;
  /** Stops accepting, drains, stops the indexer, closes the database. */
  close(): Promise<void>;
}

/** Starts the API (and the indexer when configured) from parsed settings; `given` overrides what it would load. */
export async function startApi(
  config: ApiConfig,
  logger: Logger,
  given: { deployment?: Deployment; database?: DatabaseHandle } = {},
): Promise<RunningApi> {
  const dep = given.deployment ?? loadDeployment(config.deploymentsDir, config.chainId);
  const database = given.database ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  logger.info({ engine: database.engine }, "database open");
  let indexer: Indexer | undefined;
  if (config.indexer) {
    const publicClient = createIndexerClient(config.rpcUrl, config.chainId);
    indexer = new Indexer({
      db: database.db,
      publicClient,
      deployment: dep,
      logger,
      confirmations: config.confirmations,
      chunkSize: config.chunkSize,
      pollIntervalMs: config.pollIntervalMs,
      leaseTtlMs: config.leaseTtlMs,
    });
    indexer.start();
  }
  const app = createApp({
    db: database.db,
    logger,
    chainId: config.chainId,
    evidenceDir: config.evidenceDir,
    auditDir: config.auditDir,
    checkpoints: indexer && ((listener) => indexer!.onCheckpoint(listener)),
    corsOrigins: parseCorsOrigins(config.corsOrigins),
    rateLimitPerMinute: config.rateLimitPerMinute,
    bodyLimit: config.bodyLimit,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once("error", reject);
  });
  const address = server.address();
  const url = `http://${config.host}:${typeof address === "object" && address ? address.port : config.port}`;
  logger.info({ url }, "API listening");

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
      await drained;
      clearTimeout(timer);
      await indexer?.stop();
      await database.close();
      logger.info("API stopped");
    })());
  return { server, url, indexer, database, close };
}

async function main(): Promise<void> {
  let config: ApiConfig;
  try {
    config = loadApiConfig();
  } catch (err) {
    console.error(err instanceof DsxError ? err.message : String(err));
    process.exit(1);
  }
  const logger = pino({ level: config.logLevel });
  let api: RunningApi;
  try {
    api = await startApi(config, logger);
  } catch (err) {
    logger.fatal({ err }, err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    logger.info({ signal }, "shutting down");
    api.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

if (require.main === module) void main();
