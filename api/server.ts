// `npm run api`: the indexer and the HTTP API in one process (the indexer only writes while it holds
// the lease, so any number of these can serve one PostgreSQL), and the webhook delivery of the lease holder.
// Graceful shutdown on SIGINT/SIGTERM: stop accepting, finish in-flight requests and webhook attempts, stop the
// indexer at a transaction boundary, close the pool. SIGHUP reloads the webhook subscriptions file.
import type { Server } from "node:http";
import pino, { type Logger } from "pino";
import { loadDeployment, type Deployment } from "../sdk/deployment";
import { DsxError } from "../sdk/errors";
import { createApp } from "./app";
import { loadApiConfig, parseCorsOrigins, type ApiConfig } from "./config";
import { openDatabase, type DatabaseHandle } from "./db/database";
import { createIndexerClient } from "./indexer/client";
import { createApiMetrics } from "./http/metrics";
import { Indexer } from "./indexer/indexer";
import { eventStreamHandler } from "./notifications/stream";
import { startWebhookDelivery, type WebhookDelivery } from "./webhooks/delivery";
import { registerWebhookMetrics } from "./webhooks/metrics";
import { loadSubscriptions } from "./webhooks/subscriptions";

export interface RunningApi {
  server: Server;
  url: string;
  indexer?: Indexer;
  /** The webhook delivery (with the indexer, when a subscriptions file is configured). */
  webhooks?: WebhookDelivery;
  /** Reads the subscriptions file again (SIGHUP); a bad file is logged and the subscriptions in use stay. */
  reloadWebhooks(): void;
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
  // a bad subscriptions file stops the start before anything is opened
  const subscriptions = config.webhooksFile && config.indexer ? loadSubscriptions(config.webhooksFile) : undefined;
  const database =
    given.database ??
    (await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      onIdleError: (err) => logger.warn({ err }, "an idle PostgreSQL connection failed; the pool opens another for the next query"),
    }));
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
      notifications: { dueSoonSeconds: config.dueSoonSeconds },
    });
  }
  // deliveries are enqueued in the notifications' transaction: registered before the indexer commits any
  let webhooks: WebhookDelivery | undefined;
  if (config.webhooksFile && !indexer) logger.warn("webhooks are delivered by the indexing process: this one (DSX_API_INDEXER=false) sends none");
  if (indexer && subscriptions) {
    webhooks = startWebhookDelivery({
      db: database.db,
      logger,
      subscriptions,
      indexer,
      chainId: config.chainId,
      concurrency: config.webhookConcurrency,
      timeoutMs: config.webhookTimeoutMs,
      pollIntervalMs: config.pollIntervalMs,
      retry: { baseDelayMs: config.webhookRetryBaseMs, maxDelayMs: config.webhookRetryMaxDelayMs, retryForMs: config.webhookRetryForMs },
      retentionMs: config.webhookRetentionDays * 86_400_000,
    });
    const delivery = webhooks;
    indexer.onNotificationsInserted(async (trx, rows) => {
      await delivery.enqueue(trx, rows);
    });
    logger.info({ file: config.webhooksFile, subscriptions: subscriptions.length }, "webhook subscriptions loaded");
  }
  const reloadWebhooks = () => {
    if (!webhooks || !config.webhooksFile) return;
    try {
      const subscriptions = loadSubscriptions(config.webhooksFile);
      webhooks.setSubscriptions(subscriptions);
      logger.info({ file: config.webhooksFile, subscriptions: subscriptions.length }, "webhook subscriptions reloaded");
    } catch (err) {
      logger.error({ err: err instanceof Error ? err.message : String(err) }, "webhook subscriptions not reloaded; the previous ones stay in use");
    }
  };
  if (webhooks) process.on("SIGHUP", reloadWebhooks);
  indexer?.start();
  const eventStream = eventStreamHandler({ db: database.db, chainId: config.chainId, logger, checkpoints: indexer && ((listener) => indexer!.onCheckpoint(listener)) });
  // Prometheus figures (SERVICES §7): the node answers the lag in seconds within 2 s or the gauge reads NaN
  const metrics = createApiMetrics({
    db: database.db,
    indexer,
    chain: createIndexerClient(config.rpcUrl, config.chainId, 2_000),
    dueSoonSeconds: config.dueSoonSeconds,
    logger,
  });
  const delivery = webhooks;
  registerWebhookMetrics(metrics.registry, database.db, delivery && (() => delivery.metrics));
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
    eventStream,
    metrics,
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
      eventStream.close(); // open streams would hold the server open until shutdownTimeoutMs
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
      await drained;
      clearTimeout(timer);
      process.off("SIGHUP", reloadWebhooks);
      await webhooks?.stop();
      await indexer?.stop();
      await database.close();
      logger.info("API stopped");
    })());
  return { server, url, indexer, webhooks, reloadWebhooks, database, close };
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
