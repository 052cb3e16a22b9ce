// A fetch-compatible transport on node:http(s), injected into the SDK by the CLI. Node's global
// fetch (undici) copies every request body once more (a whole 8 MiB part) and reads response bodies
// through several web-stream layers; on loopback it moves ciphertext at about half the rate of
// node:http. This keeps the SDK's interface (a Response with a web ReadableStream body) and buys
// back the difference: request bodies are written from the caller's buffer as is, and response
// bodies are the socket's own buffers, read ahead up to READ_AHEAD_BYTES so the connection keeps
// flowing while the SDK decrypts.

import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { FetchLike } from '@hoard/client';

/**
 * Response bytes buffered ahead of the reader before the socket is paused. Small on purpose: the
 * socket's buffers that wait here long enough to outlive a young-generation collection are freed
 * only by full ones (with 8 MiB, a 1 GiB get took about 100 full collections; with 1 MiB, 2). The
 * kernel's socket buffer and the downloader's decrypted batches keep the connection flowing.
 */
const READ_AHEAD_BYTES = 1024 * 1024;

const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 32 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 32 }),
};

/** Statuses whose responses never have a body (the Response constructor refuses one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

function bodyStream(res: IncomingMessage): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        res.on('data', (chunk: Buffer) => {
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) res.pause();
        });
        res.on('end', () => controller.close());
        res.on('error', (error) => controller.error(error));
        res.on('close', () => {
          // A connection that closed before the body ended: the reader must see an error.
          if (!res.complete) controller.error(new TypeError('terminated'));
        });
      },
      pull() {
        res.resume();
      },
      cancel() {
        res.destroy();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: READ_AHEAD_BYTES }),
  );
}

function toResponse(res: IncomingMessage, method: string): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  const status = res.statusCode ?? 0;
  const init = { status, statusText: res.statusMessage ?? '', headers };
  if (NULL_BODY.has(status) || method === 'HEAD') {
    res.resume();
    return new Response(null, init);
  }
  return new Response(bodyStream(res), init);
}

/** fetch(url, init) on node:http(s) with keep-alive; bodies are strings or byte arrays. */
export const nodeFetch: FetchLike = (input, init = {}) =>
  new Promise<Response>((resolve, reject) => {
    const url = new URL(input);
    const signal = init.signal ?? undefined;
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const agent =
      url.protocol === 'https:' ? agents['https:'] : url.protocol === 'http:' ? agents['http:'] : undefined;
    if (!agent) {
      reject(new TypeError(`unsupported URL scheme: ${url.protocol}`));
      return;
    }
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    const raw = init.body;
    let body: Uint8Array | undefined;
    if (typeof raw === 'string') body = Buffer.from(raw, 'utf8');
    else if (raw instanceof Uint8Array) body = raw;
    else if (raw !== undefined && raw !== null) {
      reject(new TypeError('only string and byte-array bodies are supported'));
      return;
    }
    const method = (init.method ?? 'GET').toUpperCase();
    if (body !== undefined) headers['content-length'] = String(body.byteLength);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method, headers, agent }, (res) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal) signal.addEventListener('abort', () => res.destroy(signal.reason as Error), { once: true });
      resolve(toResponse(res, method));
    });
    const onAbort = (): void => {
      req.destroy(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(signal?.aborted ? (signal.reason as Error) : error);
    });
    req.end(body);
  });
