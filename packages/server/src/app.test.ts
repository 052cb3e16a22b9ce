import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { randomId } from './secrets.js';
import { createTestApp, fake32, fakeKey, logIn, signUp, type TestApp } from './testing/test-app.js';

describe('app edges', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ config: { jsonBodyLimitBytes: 64 * 1024 } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers /healthz with 200 {status: ok}', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('answers unknown routes with 404 in the error format', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/no/such/route?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no route GET /no/such/route' } });
  });

  it('answers a known path with another method with 405 METHOD_NOT_ALLOWED and Allow', async () => {
    const res = await t.app.inject({ method: 'PUT', url: '/account' });
    expect(res.statusCode).toBe(405);
    expect(res.json().error.code).toBe('METHOD_NOT_ALLOWED');
    expect(res.headers.allow).toBe('GET, DELETE');
  });

  it('answers malformed JSON with 400 MALFORMED_JSON', async () => {
    const alice = await signUp(t.app);
    const res = await t.app.inject({
      method: 'POST',
      url: '/nodes',
      headers: { ...alice.headers, 'content-type': 'application/json' },
      payload: '{"id": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('MALFORMED_JSON');
  });

  it('answers a badly encoded URL with 400 in the error format', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/nodes/%E0%A4%A' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('answers an oversized body with 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/auth/signup/start',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'a@b.co', registrationRequest: 'A'.repeat(100 * 1024) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers an unknown content type with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/auth/signup/start',
      headers: { 'content-type': 'text/xml' },
      payload: '<a/>',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers a body of the wrong shape with 400 VALIDATION_FAILED naming the field', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/auth/signup/start', payload: { email: 'nope' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
    expect(res.json().error.message).toContain('email');
  });

  it('refuses encrypted attributes that are too long (names too long)', async () => {
    const alice = await signUp(t.app);
    const res = await t.app.inject({
      method: 'POST',
      url: '/nodes',
      headers: alice.headers,
      payload: {
        id: randomId(),
        parentId: alice.rootNodeId,
        type: 'folder',
        wrappedKey: fakeKey(),
        encryptedAttrs: 'A'.repeat(30_000),
        nameHash: fake32(),
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('exposes Prometheus metrics labelled by route pattern, never by id', async () => {
    const alice = await signUp(t.app);
    await t.app.inject({ method: 'GET', url: `/nodes/${alice.rootNodeId}`, headers: alice.headers });
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('hoard_http_request_duration_seconds_bucket');
    expect(res.body).toContain('route="/nodes/:id"');
    expect(res.body).not.toContain(alice.rootNodeId);
  });

  it('keeps a metrics registry per app', async () => {
    const other = await createTestApp();
    try {
      const res = await other.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.body).not.toContain('route="/nodes/:id"');
    } finally {
      await other.close();
    }
  });
});

describe('logs', () => {
  it('never contain tokens, secrets, passwords or e-mail addresses', async () => {
    let output = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        output += chunk.toString('utf8');
        callback();
      },
    });
    const t = await createTestApp();
    const logged = await createTestApp({ logger: createLogger('trace', sink) });
    try {
      const alice = await signUp(logged.app);
      const login = await logIn(logged.app, alice.email, alice.password);
      const token = login.json().session.token as string;
      await logged.app.inject({
        method: 'GET',
        url: '/account',
        headers: { authorization: `Bearer ${token}` },
      });
      await logged.app.inject({
        method: 'GET',
        url: '/account',
        headers: { authorization: 'Bearer broken' },
      });
      expect(output).toContain('"route":"/account"');
      for (const secret of [alice.session.token, alice.session.secret, token, alice.password, alice.email]) {
        expect(output).not.toContain(secret);
      }
      const logger = createLogger('info', sink);
      logger.info({ req: { headers: { authorization: `Bearer ${token}` } }, token, email: alice.email }, 'x');
      expect(output).not.toContain(token);
      expect(output).toContain('[redacted]');
    } finally {
      await logged.close();
      await t.close();
    }
  });
});
