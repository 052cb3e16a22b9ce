import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiError, NetworkError, ProtocolError } from './api-error.js';
import { HttpClient, type FetchLike } from './http-client.js';

function fakeFetch(respond: (url: string, init: RequestInit) => Response): {
  fetch: FetchLike;
  calls: [string, RequestInit][];
} {
  const calls: [string, RequestInit][] = [];
  return {
    calls,
    fetch: (url, init = {}) => {
      calls.push([url, init]);
      return Promise.resolve(respond(url, init));
    },
  };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('HttpClient', () => {
  it('sends JSON with the bearer token and parses the answer with the schema', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, { value: 42 }));
    const http = new HttpClient({ baseUrl: 'http://h.test/', fetch, token: 'tok' });
    const result = await http.json('POST', '/x', z.object({ value: z.number() }), { json: { a: 1 } });
    expect(result).toEqual({ value: 42 });
    const [url, init] = calls[0]!;
    expect(url).toBe('http://h.test/x');
    expect((init.headers as Record<string, string>).authorization).toBe('Bearer tok');
    expect(init.body).toBe('{"a":1}');
  });

  it('turns an error body into an ApiError with the same code, status and Retry-After', async () => {
    const { fetch } = fakeFetch(() =>
      json(429, { error: { code: 'RATE_LIMITED', message: 'slow down' } }, { 'retry-after': '7' }),
    );
    const http = new HttpClient({ baseUrl: 'http://h.test', fetch });
    const error = await http.empty('POST', '/auth/login/start').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      code: 'RATE_LIMITED',
      status: 429,
      message: 'slow down',
      retryAfterSeconds: 7,
    });
  });

  it('gives a non-JSON error answer a code from its status', async () => {
    const { fetch } = fakeFetch(() => new Response('<html>bad gateway</html>', { status: 502 }));
    const http = new HttpClient({ baseUrl: 'http://h.test', fetch });
    await expect(http.empty('GET', '/x')).rejects.toMatchObject({ code: 'INTERNAL', status: 502 });
  });

  it('rejects an answer that does not match the schema as a ProtocolError', async () => {
    const { fetch } = fakeFetch(() => json(200, { value: 'not a number' }));
    const http = new HttpClient({ baseUrl: 'http://h.test', fetch });
    await expect(http.json('GET', '/x', z.object({ value: z.number() }))).rejects.toBeInstanceOf(
      ProtocolError,
    );
  });

  it('reports an unreachable server as a NetworkError', async () => {
    const http = new HttpClient({
      baseUrl: 'http://h.test',
      fetch: () =>
        Promise.reject(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') })),
    });
    const error = await http.empty('GET', '/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });
});
