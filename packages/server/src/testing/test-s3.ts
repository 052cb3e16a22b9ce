// S3 for tests: the settings that `s3env=$(../shared/tools/s3-ceph up) && eval "$s3env"` exports
// (S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_REGION, S3_FORCE_PATH_STYLE), each call
// with a bucket of its own (hoard-test-<random>), so test files never see each other's objects.
// Absent settings mean "no S3 here": the S3 variants of the suites are then not registered.
// Used by tests and benchmarks only; never by the running server.
import { randomBytes } from 'node:crypto';
import type { S3Settings } from '../storage/s3-blob-store.js';

/** S3 settings with a fresh random bucket, or undefined when the environment names no S3 store. */
export function testS3Settings(env: Record<string, string | undefined>): S3Settings | undefined {
  const { S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY } = env;
  if (!S3_ENDPOINT || !S3_ACCESS_KEY_ID || !S3_SECRET_ACCESS_KEY) return undefined;
  return {
    endpoint: S3_ENDPOINT,
    bucket: `hoard-test-${randomBytes(6).toString('hex')}`,
    region: env.S3_REGION || 'us-east-1',
    accessKeyId: S3_ACCESS_KEY_ID,
    secretAccessKey: S3_SECRET_ACCESS_KEY,
    forcePathStyle: env.S3_FORCE_PATH_STYLE !== 'false',
  };
}

/** The HOARD_S3_* environment of a spawned hoard-server for `settings`. */
export function hoardS3Env(settings: S3Settings): Record<string, string> {
  return {
    HOARD_S3_ENDPOINT: settings.endpoint ?? '',
    HOARD_S3_BUCKET: settings.bucket,
    HOARD_S3_REGION: settings.region,
    HOARD_S3_ACCESS_KEY_ID: settings.accessKeyId,
    HOARD_S3_SECRET_ACCESS_KEY: settings.secretAccessKey,
    HOARD_S3_FORCE_PATH_STYLE: String(settings.forcePathStyle),
  };
}
