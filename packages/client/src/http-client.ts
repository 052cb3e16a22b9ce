// The one place the SDK talks HTTP: JSON in and out, bearer auth, every answer parsed by the
// protocol's zod schemas (a hostile or buggy server cannot hand us an unchecked shape), non-2xx
// answers turned into ApiError with the server's code. Never logs bodies or headers.

import { ApiError, NetworkError, ProtocolError } from './api-error.js';
import { parseErrorBody } from './protocol-adapter.js';

/** Anything with zod's `parse` (the protocol's schemas). */
export interface Schema<T> {
  parse(data: unknown): T;
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface RequestOptions {
  /** JSON body (sent as application/json). */
  json?: unknown;
  /** Raw body (sent as application/octet-stream). */
  body?: Uint8Array;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
}

export interface HttpClientOptions {
  /** Base URL of the server, e.g. `http://localhost:8080`. */
  baseUrl: string;
  /** Defaults to the global fetch. */
  fetch?: FetchLike;
  /** Bearer token of the session, when logged in. */
  token?: string | undefined;
}

/** A thin JSON-over-fetch client bound to one server and (optionally) one session. */
export class HttpClient {
  readonly baseUrl: string;
  readonly #fetch: FetchLike;
  token: string | undefined;

  constructor(options: HttpClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.token = options.token;
  }

  /** Sends a request and returns the raw Response when it is 2xx; throws ApiError otherwise. */
  async raw(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    let body: BodyInit | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/octet-stream';
      body = options.body as Uint8Array<ArrayBuffer>;
    }
    let response: Response;
    try {
      response = await this.#fetch(this.baseUrl + path, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new NetworkError(`cannot reach ${this.baseUrl}: ${describeCause(error)}`, { cause: error });
    }
    if (!response.ok) throw await toApiError(response);
    return response;
  }

  /** Sends a request and parses the JSON answer with `schema`. */
  async json<T>(method: string, path: string, schema: Schema<T>, options: RequestOptions = {}): Promise<T> {
    const response = await this.raw(method, path, options);
    let data: unknown;
    try {
      data = await response.json();
    } catch (error) {
      throw new ProtocolError(`${method} ${path}: the server answered invalid JSON`, { cause: error });
    }
    try {
      return schema.parse(data);
    } catch (error) {
      throw new ProtocolError(`${method} ${path}: unexpected answer from the server`, { cause: error });
    }
  }

  /**
   * Sends a request to an absolute URL the server handed out (a presigned object-store URL): no
   * session token goes with it. Returns the Response when it is 2xx; throws ApiError otherwise
   * (code `HTTP_<status>`: object stores answer XML, not our error format).
   */
  async external(method: string, url: string, options: RequestOptions = {}): Promise<Response> {
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method,
        headers: { ...options.headers },
        ...(options.body === undefined ? {} : { body: options.body as Uint8Array<ArrayBuffer> }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new NetworkError(`cannot reach the object store: ${describeCause(error)}`, { cause: error });
    }
    if (!response.ok) {
      await response.body?.cancel();
      const code = response.status >= 500 ? 'INTERNAL' : `HTTP_${response.status}`;
      throw new ApiError(code, response.status, `the object store answered ${response.status}`);
    }
    return response;
  }

  /** Sends a request whose answer has no body (204). */
  async empty(method: string, path: string, options: RequestOptions = {}): Promise<void> {
    const response = await this.raw(method, path, options);
    await response.body?.cancel();
  }
}

function describeCause(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause;
    if (cause instanceof Error && cause.message) return cause.message;
    return error.message;
  }
  return String(error);
}

async function toApiError(response: Response): Promise<ApiError> {
  const retryAfter = Number(response.headers.get('retry-after') ?? NaN);
  const retryAfterSeconds = Number.isFinite(retryAfter) ? retryAfter : undefined;
  let text = '';
  try {
    text = await response.text();
  } catch {
    // the body broke off: the status alone must do
  }
  let parsed: { code: string; message: string } | undefined;
  try {
    parsed = parseErrorBody(JSON.parse(text));
  } catch {
    parsed = undefined;
  }
  const code = parsed?.code ?? (response.status >= 500 ? 'INTERNAL' : `HTTP_${response.status}`);
  const message = parsed?.message ?? `the server answered ${response.status} ${response.statusText}`;
  return new ApiError(code, response.status, message, retryAfterSeconds);
}
