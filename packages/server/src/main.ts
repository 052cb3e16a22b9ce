#!/usr/bin/env node
// `hoard-server [--data DIR] [--port N] [--host H]`: the only place that reads the environment and
// the command line. Starts the server; on SIGTERM/SIGINT drains in-flight requests and exits.
// `hoard-server admin <command> ...` runs one operator command instead (admin/).
import { adminUsage, runAdmin } from './admin/run-admin.js';
import { configFromEnvironment, type Config } from './config.js';
import { createLogger } from './logger.js';
import { MIGRATE_USAGE, migrateToFleet, parseMigrateArgs } from './migrate/migrate.js';
import { startServer } from './server.js';

const USAGE = `usage: hoard-server [--data DIR] [--port N] [--host H]
       hoard-server admin <command> [--data DIR]   (operator commands; \`hoard-server admin\` lists them)
       hoard-server migrate --to-database URL --to-s3 [--data DIR]   (one box to a fleet; --help)

  --data DIR   data directory: SQLite file and blobs (env HOARD_DATA_DIR, default ./data)
  --port N     TCP port (env HOARD_PORT, default 8080)
  --host H     address to listen on (env HOARD_HOST, default 127.0.0.1)

Environment: DATABASE_URL (postgres://...; default SQLite in DIR), HOARD_FREE_QUOTA_BYTES
(default 100000000000), HOARD_LOG_LEVEL (default info), HOARD_JOB_INTERVAL_SECONDS (default 60),
HOARD_TRUST_PROXY (true behind a trusted reverse proxy), HOARD_OPAQUE_SERVER_SETUP (keeps the OPAQUE
key material out of the database; see \`hoard-server admin opaque-setup\`).
Fleet mode (docs/OPERATIONS.md): HOARD_S3_ENDPOINT, HOARD_S3_BUCKET, HOARD_S3_ACCESS_KEY_ID,
HOARD_S3_SECRET_ACCESS_KEY, HOARD_S3_REGION (default us-east-1), HOARD_S3_FORCE_PATH_STYLE (default
true) put blobs in an S3 bucket (DIR then holds no blob); HOARD_S3_TRANSFERS direct|proxy (default
direct: presigned URLs), HOARD_PRESIGN_TTL_SECONDS (default 900); REDIS_URL (redis://...) shares
rate limits between servers.
Payments (docs/PAYMENTS.md): HOARD_PLANS; BTCPay: HOARD_BTCPAY_URL, HOARD_BTCPAY_API_KEY,
HOARD_BTCPAY_STORE_ID, HOARD_BTCPAY_WEBHOOK_SECRET; or watch-only: HOARD_XPUB, HOARD_NETWORK,
HOARD_ESPLORA_URL or HOARD_BITCOIND_RPC_URL, HOARD_CONFIRMATIONS, HOARD_CHAIN_POLL_SECONDS.`;

/** How long a drain may take before the process exits anyway. */
const DRAIN_TIMEOUT_MS = 30_000;

/** Splits `--data DIR` / `--data=DIR` (a server setting) from an admin command's own arguments. */
function splitDataFlag(args: readonly string[]): { serverArgs: string[]; commandArgs: string[] } {
  const serverArgs: string[] = [];
  const commandArgs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--data' && i + 1 < args.length) serverArgs.push(arg, args[++i] ?? '');
    else if (arg.startsWith('--data=')) serverArgs.push(arg);
    else commandArgs.push(arg);
  }
  return { serverArgs, commandArgs };
}

async function admin(args: readonly string[]): Promise<void> {
  if (args.length === 0 || args[0] === '--help' || args[0] === '-h') {
    console.log(adminUsage());
    return;
  }
  const { serverArgs, commandArgs } = splitDataFlag(args);
  let config: Config;
  try {
    config = configFromEnvironment(process.env, serverArgs);
  } catch (error) {
    console.error(`hoard-server: ${(error as Error).message}`);
    process.exit(2);
  }
  const code = await runAdmin(config, commandArgs, {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  });
  process.exitCode = code;
}

async function migrate(args: readonly string[]): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(MIGRATE_USAGE);
    return;
  }
  let parsed;
  let config: Config;
  try {
    parsed = parseMigrateArgs(args);
    // The target bucket: HOARD_S3_* (never on the command line); the source: --data.
    config = configFromEnvironment(process.env, parsed.dataDir ? ['--data', parsed.dataDir] : []);
    if (!config.s3) throw new Error('--to-s3 needs HOARD_S3_BUCKET and its credentials in the environment');
  } catch (error) {
    console.error(`hoard-server migrate: ${(error as Error).message}\n${MIGRATE_USAGE}`);
    process.exit(2);
  }
  try {
    await migrateToFleet({
      dataDir: config.dataDir,
      targetDatabaseUrl: parsed.toDatabase,
      targetS3: config.s3,
      out: (line) => console.log(line),
    });
  } catch (error) {
    console.error(`hoard-server migrate: ${(error as Error).message}`);
    console.error('nothing was lost; fix the cause and run the same command again to resume');
    process.exitCode = 1;
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === 'admin') {
    await admin(args.slice(1));
    return;
  }
  if (args[0] === 'migrate') {
    await migrate(args.slice(1));
    return;
  }
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return;
  }
  let config: Config;
  try {
    config = configFromEnvironment(process.env, args);
  } catch (error) {
    console.error(`hoard-server: ${(error as Error).message}`);
    console.error(USAGE);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  let server;
  try {
    server = await startServer(config, logger);
  } catch (error) {
    console.error(`hoard-server: cannot start: ${(error as Error).message}`);
    process.exit(1);
  }
  logger.info(
    { address: server.address, dialect: server.dialect, dataDir: config.dataDir },
    'hoard-server ready',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining in-flight requests');
    setTimeout(() => {
      logger.error('the drain took too long; exiting');
      process.exit(1);
    }, DRAIN_TIMEOUT_MS).unref();
    server.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('hoard-server failed to start:', error);
  process.exit(1);
});
