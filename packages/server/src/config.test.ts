import { describe, expect, it } from 'vitest';
import { configFromEnvironment, parseConfig } from './config.js';

describe('config', () => {
  it('has the documented defaults', () => {
    const config = configFromEnvironment({}, []);
    expect(config).toMatchObject({
      dataDir: './data',
      port: 8080,
      host: '127.0.0.1',
      freeQuotaBytes: 100_000_000_000,
      logLevel: 'info',
    });
    expect(config.databaseUrl).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads HOARD_* variables and lets flags win over them', () => {
    const config = configFromEnvironment(
      {
        HOARD_DATA_DIR: '/env',
        HOARD_PORT: '9000',
        HOARD_HOST: '0.0.0.0',
        HOARD_FREE_QUOTA_BYTES: '1000',
        DATABASE_URL: 'postgres://u@h/db',
        HOARD_LOG_LEVEL: 'warn',
      },
      ['--data', '/flag', '--port', '0'],
    );
    expect(config).toMatchObject({
      dataDir: '/flag',
      port: 0,
      host: '0.0.0.0',
      freeQuotaBytes: 1000,
      databaseUrl: 'postgres://u@h/db',
      logLevel: 'warn',
    });
  });

  it('names every invalid value', () => {
    expect(() => configFromEnvironment({ HOARD_PORT: 'eighty', DATABASE_URL: 'mysql://x' }, [])).toThrow(
      /port[\s\S]*databaseUrl/,
    );
    expect(() => configFromEnvironment({}, ['--bogus'])).toThrow();
    expect(() => parseConfig({ logLevel: 'loud' as 'info' })).toThrow(/logLevel/);
  });

  it('selects S3 from HOARD_S3_* and Redis from REDIS_URL; neither by default', () => {
    expect(configFromEnvironment({}, []).s3).toBeUndefined();
    expect(configFromEnvironment({}, []).redisUrl).toBeUndefined();
    const config = configFromEnvironment(
      {
        HOARD_S3_ENDPOINT: 'http://127.0.0.1:7480',
        HOARD_S3_BUCKET: 'hoard-blobs',
        HOARD_S3_ACCESS_KEY_ID: 'AK',
        HOARD_S3_SECRET_ACCESS_KEY: 'SK',
        HOARD_S3_REGION: 'eu-west-1',
        HOARD_S3_FORCE_PATH_STYLE: 'false',
        REDIS_URL: 'redis://127.0.0.1:6379',
        HOARD_S3_TRANSFERS: 'proxy',
      },
      [],
    );
    expect(config.s3).toEqual({
      endpoint: 'http://127.0.0.1:7480',
      bucket: 'hoard-blobs',
      accessKeyId: 'AK',
      secretAccessKey: 'SK',
      region: 'eu-west-1',
      forcePathStyle: false,
    });
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.s3Transfers).toBe('proxy');
  });

  it('refuses partial S3 settings rather than falling back to the local disk', () => {
    expect(() => configFromEnvironment({ HOARD_S3_BUCKET: 'hoard-blobs' }, [])).toThrow(/s3\.accessKeyId/);
    expect(() => configFromEnvironment({ REDIS_URL: 'http://x' }, [])).toThrow(/redisUrl/);
  });
});
