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
});
