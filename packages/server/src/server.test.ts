import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';
import { startServer } from './server.js';
import { logIn, signUp } from './testing/test-app.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function put(url: string, headers: Record<string, string>, first: Buffer) {
  const req = request(url, { method: 'PUT', headers });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
  req.write(first);
  return { req, response };
}

describe('startServer', () => {
  it('drains an in-flight upload part on stop, then refuses new connections', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hoard-server-'));
    dirs.push(dataDir);
    const server = await startServer(parseConfig({ dataDir, port: 0, host: '127.0.0.1' }));
    const alice = await signUp(server.app);
    const sizeBytes = 1024 * 1024;
    const created = await server.app.inject({
      method: 'POST',
      url: '/uploads',
      headers: alice.headers,
      payload: { sizeBytes },
    });
    const uploadId = created.json<{ upload: { id: string } }>().upload.id;

    const body = Buffer.alloc(sizeBytes, 1);
    const { req, response } = put(
      `${server.address}/uploads/${uploadId}/parts/1`,
      { ...alice.headers, 'content-type': 'application/octet-stream', 'content-length': String(sizeBytes) },
      body.subarray(0, sizeBytes / 2),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    let stopped = false;
    const stopping = server.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stopped).toBe(false);
    req.end(body.subarray(sizeBytes / 2));
    const answer = await response;
    expect(answer.status, answer.body).toBe(200);
    await stopping;
    await expect(fetch(`${server.address}/healthz`)).rejects.toThrow();
  });

  it('closes a kept-alive connection after its in-flight answer while draining', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hoard-server-'));
    dirs.push(dataDir);
    const server = await startServer(parseConfig({ dataDir, port: 0, host: '127.0.0.1' }));
    const alice = await signUp(server.app);
    const created = await server.app.inject({
      method: 'POST',
      url: '/uploads',
      headers: alice.headers,
      payload: { sizeBytes: 1000 },
    });
    const uploadId = created.json<{ upload: { id: string } }>().upload.id;
    const { port } = new URL(server.address);
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    const closed = new Promise((resolve) => socket.on('close', resolve));
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `PUT /uploads/${uploadId}/parts/1 HTTP/1.1\r\nHost: x\r\nAuthorization: ${alice.headers.authorization}\r\n` +
        'Content-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n' +
        'a'.repeat(500),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopping = server.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.write('a'.repeat(500) + 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await closed;
    await stopping;
    const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    // The pipelined request is never started: the answer said `Connection: close`, so a client
    // retries it on a new connection (to another server of a fleet).
    expect(statuses).toEqual(['200']);
    expect(received.toLowerCase()).toContain('connection: close');
  });

  it('keeps the OPAQUE server setup across restarts, so accounts can still log in', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hoard-server-'));
    dirs.push(dataDir);
    const config = parseConfig({ dataDir, port: 0 });
    const first = await startServer(config);
    const alice = await signUp(first.app);
    await first.stop();
    const second = await startServer(config);
    try {
      const res = await logIn(second.app, alice.email, alice.password);
      expect(res.statusCode).toBe(200);
    } finally {
      await second.stop();
    }
  });
});
