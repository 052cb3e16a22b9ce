// The server's configuration: one zod schema, every value with a default, validated once at start
// and frozen. main.ts is the only place that reads the environment and the command line; it hands
// them to configFromEnvironment, which parses them here.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import {
  checkPaymentsConfig,
  PaymentsConfigShape,
  paymentsConfigFromEnvironment,
} from './modules/payments/payments-config.js';

const positiveInt = z.coerce.number().int().positive();

const RateLimitSchema = z.object({
  /** Attempts allowed per window. */
  limit: positiveInt,
  windowSeconds: positiveInt,
});
export type RateLimitConfig = z.infer<typeof RateLimitSchema>;

export const ConfigSchema = z.object({
  /** Where SQLite's file and the blobs live. */
  dataDir: z.string().min(1).default('./data'),
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  host: z.string().min(1).default('127.0.0.1'),
  /** postgres://... ; absent means SQLite at dataDir/hoard.sqlite3. */
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// URL')
    .optional(),
  /** Quota of a new account. */
  freeQuotaBytes: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(100_000_000_000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Largest JSON body. Upload parts have their own limit (their declared size). */
  jsonBodyLimitBytes: positiveInt.default(1024 * 1024),
  /** Sessions expire after this long without use (sliding). */
  sessionTtlSeconds: positiveInt.default(30 * 24 * 3600),
  /** Password change and account deletion need a session at most this old. */
  reauthWindowSeconds: positiveInt.default(10 * 60),
  /** Login and recovery attempts per e-mail address. */
  loginRateLimitPerEmail: RateLimitSchema.default({ limit: 10, windowSeconds: 15 * 60 }),
  /** Login and recovery attempts per client address. */
  loginRateLimitPerIp: RateLimitSchema.default({ limit: 100, windowSeconds: 15 * 60 }),
  /** Sign-ups per client address (each one reserves free quota and costs an OPAQUE registration). */
  signupRateLimitPerIp: RateLimitSchema.default({ limit: 30, windowSeconds: 3600 }),
  /** Trashed nodes are deleted for good this long after they were trashed. */
  trashRetentionSeconds: positiveInt.default(30 * 24 * 3600),
  /** How often main.ts runs the background jobs. */
  jobIntervalSeconds: positiveInt.default(60),
  /** Honour X-Forwarded-For (only behind a trusted reverse proxy). */
  trustProxy: z.boolean().default(false),
  ...PaymentsConfigShape,
});

/** The validated, frozen configuration. */
export type Config = Readonly<z.infer<typeof ConfigSchema>>;
/** What callers may pass: every field optional. */
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Validates a configuration, filling in defaults; throws an Error listing every problem. */
export function parseConfig(input: ConfigInput): Config {
  const result = ConfigSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new Error(`invalid configuration:\n${problems.join('\n')}`);
  }
  const paymentProblems = checkPaymentsConfig(result.data);
  if (paymentProblems.length > 0) {
    throw new Error(`invalid configuration:\n${paymentProblems.map((p) => `  payments: ${p}`).join('\n')}`);
  }
  return Object.freeze(result.data);
}

/**
 * Builds the configuration from `hoard-server` flags and HOARD_* variables (flags win).
 *
 * @example
 * configFromEnvironment(process.env, process.argv.slice(2));
 */
export function configFromEnvironment(
  env: Record<string, string | undefined>,
  argv: readonly string[],
): Config {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      data: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const input: Record<string, unknown> & ConfigInput = {};
  const set = (key: string, value: string | undefined) => {
    if (value !== undefined && value !== '') input[key] = value;
  };
  set('dataDir', values.data ?? env.HOARD_DATA_DIR);
  set('port', values.port ?? env.HOARD_PORT);
  set('host', values.host ?? env.HOARD_HOST);
  set('databaseUrl', env.DATABASE_URL);
  set('freeQuotaBytes', env.HOARD_FREE_QUOTA_BYTES);
  set('logLevel', env.HOARD_LOG_LEVEL);
  set('jobIntervalSeconds', env.HOARD_JOB_INTERVAL_SECONDS);
  if (env.HOARD_TRUST_PROXY !== undefined) input.trustProxy = env.HOARD_TRUST_PROXY === 'true';
  Object.assign(input, paymentsConfigFromEnvironment(env));
  return parseConfig(input);
}
