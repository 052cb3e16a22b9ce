import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './app.js';
import { connectOriginsOf, contentSecurityPolicy } from './web-app.js';
import { ManualClock } from './clock.js';
import { parseConfig } from './config.js';
import { MemoryBlobStore } from './testing/memory-blob-store.js';
import { createTestDatabase } from './testing/test-database.js';

describe('the web app', () => {
  let app: FastifyInstance;
  let destroy: () => Promise<void>;
  const webDir = mkdtempSync(join(tmpdir(), 'hoard-web-'));

  beforeAll(async () => {
    mkdirSync(join(webDir, 'assets'));
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>Hoard</title>');
    writeFileSync(join(webDir, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(webDir, 'sw.js'), 'self.addEventListener("fetch", () => {})');
    const testDb = await createTestDatabase('sqlite');
    destroy = () => testDb.destroy();
    app = await createApp({
      config: parseConfig({ dataDir: '/nonexistent' }),
      db: testDb.db,
      blobStore: new MemoryBlobStore(),
      clock: new ManualClock(Date.now()),
      webDir,
    });
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
    await destroy();
    rmSync(webDir, { recursive: true, force: true });
  });

  it('serves index.html at / with a strict CSP, no referrer and no caching', async () => {
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<title>Hoard</title>');
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toMatch(/https?:/);
  });

  it('caches hashed assets for a year as immutable, and revalidates the service worker', async () => {
    const asset = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/^text\/javascript/);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.body).toBe('console.log(1)');
    const sw = await app.inject({ method: 'GET', url: '/sw.js' });
    expect(sw.headers['cache-control']).toBe('no-cache');
    expect(sw.headers['service-worker-allowed']).toBe('/');
  });

  it('answers the app routes and link pages with index.html', async () => {
    for (const url of ['/login', '/files/photos/2024', '/bin', '/shared', '/l/abc']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.body).toContain('<title>Hoard</title>');
    }
  });

  it('never shadows the API: API paths and unknown paths keep their JSON errors', async () => {
    const trash = await app.inject({ method: 'GET', url: '/trash' });
    expect(trash.statusCode).toBe(401);
    expect(trash.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    const unknown = await app.inject({ method: 'GET', url: '/assets/missing.js' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const traversal = await app.inject({ method: 'GET', url: '/assets/../../package.json' });
    expect(traversal.statusCode).not.toBe(200);
  });

  it('lets the page reach the object store only when transfers go straight to it', () => {
    const s3 = { bucket: 'hoard', accessKeyId: 'a', secretAccessKey: 'b' };
    expect(connectOriginsOf(parseConfig({ dataDir: '/d' }))).toEqual([]);
    expect(
      connectOriginsOf(parseConfig({ dataDir: '/d', s3: { ...s3, endpoint: 'http://127.0.0.1:7480/x' } })),
    ).toEqual(['http://127.0.0.1:7480']);
    expect(
      connectOriginsOf(
        parseConfig({
          dataDir: '/d',
          s3: { ...s3, endpoint: 'http://127.0.0.1:7480' },
          s3Transfers: 'proxy',
        }),
      ),
    ).toEqual([]);
    expect(contentSecurityPolicy(['http://127.0.0.1:7480'])).toContain(
      "connect-src 'self' http://127.0.0.1:7480;",
    );
  });
});
