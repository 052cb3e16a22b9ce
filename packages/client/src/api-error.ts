// The SDK's error types. A non-2xx answer from the server becomes an ApiError carrying the same
// stable code as the server's error body; a request that never got an answer (connection refused,
// reset, DNS) becomes a NetworkError. Neither ever carries key material or plaintext names.

/** A non-2xx answer from the server, with the error code of its body (e.g. `NAME_TAKEN`). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    /** The protocol's error code (`errorCodes` in @hoard/protocol). */
    readonly code: string,
    /** The HTTP status of the answer. */
    readonly status: number,
    message: string,
    /** Seconds from a Retry-After header, when the server sent one (429, 503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** The request never got an HTTP answer (connection refused or reset, DNS failure, aborted body). */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The server answered something that does not match the protocol (a bug or a hostile server). */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Whether a failed request may succeed if simply tried again later. */
export function isTransient(error: unknown): boolean {
  if (error instanceof NetworkError) return true;
  if (error instanceof ApiError) {
    return (
      error.status >= 500 ||
      error.code === 'RATE_LIMITED' ||
      error.code === 'PART_IN_PROGRESS' ||
      error.code === 'UNAVAILABLE'
    );
  }
  return false;
}

/** A failure found on the client side (no such path, not a folder, ...), with a stable code. */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  constructor(
    readonly code:
      | 'NOT_FOUND'
      | 'NOT_A_FOLDER'
      | 'NOT_A_FILE'
      | 'NAME_TAKEN'
      | 'INVALID_PATH'
      | 'UNREADABLE'
      | 'INVALID_LINK'
      | 'WRONG_LINK_KEY'
      | 'LINK_PASSWORD_REQUIRED',
    message: string,
  ) {
    super(message);
  }
}
