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

/** An S3-compatible bucket for the blobs (fleet mode); HOARD_S3_* in the environment. */
const S3Schema = z.object({
  /** e.g. https://s3.eu-central-1.amazonaws.com or http://127.0.0.1:7480; absent: AWS's default. */
  endpoint: z.url().optional(),
  bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'HOARD_S3_BUCKET must be a valid bucket name'),
  region: z.string().min(1).default('us-east-1'),
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
  /** Path-style URLs (http://host/bucket/key): needed by most self-hosted stores (Ceph RGW, MinIO). */
  forcePathStyle: z.boolean().default(true),
});
export type S3Config = z.infer<typeof S3Schema>;

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
  /**
   * The OPAQUE server setup (base64url, from `hoard-server admin opaque-setup`). Absent: it is made
   * once and kept in the database, so a database dump allows offline guessing against the records.
   */
  opaqueServerSetup: z.string().min(1).optional(),
  /** Honour X-Forwarded-For (only behind a trusted reverse proxy). */
  trustProxy: z.boolean().default(false),
  /** Blobs in an S3-compatible bucket instead of dataDir/blobs (fleet mode). */
  s3: S3Schema.optional(),
  /**
   * With S3: `direct` hands clients presigned URLs so part and download bytes go straight between
   * client and bucket; `proxy` streams them through the server (a bucket the clients cannot reach).
   */
  s3Transfers: z.enum(['direct', 'proxy']).default('direct'),
  /** Lifetime of a presigned part or download URL. */
  presignTtlSeconds: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 3600)
    .default(900),
  /** redis://... : rate limits and other state that every server must share; absent: in process. */
  redisUrl: z
    .string()
    .regex(/^rediss?:\/\//, 'REDIS_URL must be a redis:// or rediss:// URL')
    .optional(),
  /** Prefix of every Redis key, so that several deployments (or test runs) can share one Redis. */
  redisKeyPrefix: z.string().min(1).max(100).default('hoard:'),
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
  set('opaqueServerSetup', env.HOARD_OPAQUE_SERVER_SETUP);
  if (env.HOARD_TRUST_PROXY !== undefined) input.trustProxy = env.HOARD_TRUST_PROXY === 'true';
  set('redisUrl', env.REDIS_URL);
  set('redisKeyPrefix', env.HOARD_REDIS_KEY_PREFIX);
  set('s3Transfers', env.HOARD_S3_TRANSFERS);
  set('presignTtlSeconds', env.HOARD_PRESIGN_TTL_SECONDS);
  const s3Input = s3FromEnvironment(env);
  if (s3Input) input.s3 = s3Input as ConfigInput['s3'];
  Object.assign(input, paymentsConfigFromEnvironment(env));
  return parseConfig(input);
}

/**
 * The HOARD_S3_* variables as an S3 setting, or undefined when none is set (one box: local disk).
 * Setting some but not all required ones is an error at validation, not a silent fall-back.
 */
export function s3FromEnvironment(
  env: Record<string, string | undefined>,
  prefix = 'HOARD_S3_',
): Record<string, unknown> | undefined {
  const read = (name: string) => {
    const value = env[`${prefix}${name}`];
    return value === undefined || value === '' ? undefined : value;
  };
  const names = ['ENDPOINT', 'BUCKET', 'REGION', 'ACCESS_KEY_ID', 'SECRET_ACCESS_KEY', 'FORCE_PATH_STYLE'];
  if (names.every((n) => read(n) === undefined)) return undefined;
  const s3: Record<string, unknown> = {};
  const put = (key: string, value: unknown) => {
    if (value !== undefined) s3[key] = value;
  };
  put('endpoint', read('ENDPOINT'));
  put('bucket', read('BUCKET'));
  put('region', read('REGION'));
  put('accessKeyId', read('ACCESS_KEY_ID'));
  put('secretAccessKey', read('SECRET_ACCESS_KEY'));
  const pathStyle = read('FORCE_PATH_STYLE');
  if (pathStyle !== undefined) s3.forcePathStyle = pathStyle === 'true';
  return s3;
}
