import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeFetch } from './node-fetch.js';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/echo') {
      const pieces: Buffer[] = [];
      req.on('data', (d: Buffer) => pieces.push(d));
      req.on('end', () => {
        const body = Buffer.concat(pieces);
        res.setHeader('content-type', 'application/json');
        res.setHeader('x-method', req.method ?? '');
        res.end(
          JSON.stringify({
            length: body.length,
            first: body[0],
            last: body[body.length - 1],
            contentType: req.headers['content-type'],
            auth: req.headers.authorization,
          }),
        );
      });
      return;
    }
    if (req.url === '/empty') {
      res.statusCode = 204;
      res.end();
      return;
    }
    if (req.url === '/big') {
      const block = Buffer.alloc(1024 * 1024, 7);
      res.setHeader('content-length', String(4 * block.length));
      for (let i = 0; i < 3; i++) res.write(block);
      res.end(block);
      return;
    }
    if (req.url === '/broken') {
      res.setHeader('content-length', '1000000');
      res.write(Buffer.alloc(1000));
      setTimeout(() => res.destroy(), 20);
      return;
    }
    res.statusCode = 404;
    res.setHeader('retry-after', '3');
    res.end('{"error":{"code":"NOT_FOUND","message":"no"}}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function drain(body: ReadableStream<Uint8Array>): Promise<number> {
  let n = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return n;
    n += value.length;
  }
}

describe('nodeFetch', () => {
  it('sends a byte body with its headers and reads a JSON answer', async () => {
    const body = new Uint8Array(3 * 1024 * 1024 + 5).fill(9);
    body[0] = 1;
    const response = await nodeFetch(`${base}/echo`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', authorization: 'Bearer t' },
      body,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-method')).toBe('PUT');
    expect(await response.json()).toEqual({
      length: body.length,
      first: 1,
      last: 9,
      contentType: 'application/octet-stream',
      auth: 'Bearer t',
    });
  });

  it('sends a string body', async () => {
    const response = await nodeFetch(`${base}/echo`, { method: 'POST', body: '{"a":1}' });
    expect(((await response.json()) as { length: number }).length).toBe(7);
  });

  it('gives a 204 no body and an error status its body and headers', async () => {
    const empty = await nodeFetch(`${base}/empty`, { method: 'POST' });
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
    const missing = await nodeFetch(`${base}/nope`);
    expect(missing.ok).toBe(false);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('retry-after')).toBe('3');
    expect(await missing.text()).toContain('NOT_FOUND');
  });

  it('streams a large body whole', async () => {
    const response = await nodeFetch(`${base}/big`);
    expect(await drain(response.body!)).toBe(4 * 1024 * 1024);
  });

  it('errors the body stream when the connection breaks off', async () => {
    const response = await nodeFetch(`${base}/broken`);
    await expect(drain(response.body!)).rejects.toThrow();
  });

  it('rejects when the signal is aborted, and on an unreachable server', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(nodeFetch(`${base}/echo`, { signal: controller.signal })).rejects.toThrow('stop');
    await expect(nodeFetch('http://127.0.0.1:1/')).rejects.toThrow();
  });
});
