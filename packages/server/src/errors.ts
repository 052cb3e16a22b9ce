// The server's one error type. Services throw AppError(code) with a code from the protocol's error
// table; the error handler in app.ts turns it into `{ error: { code, message } }` with that code's
// HTTP status. Messages are shown to clients: they never contain keys, tokens, names or e-mails.
import { errorCodes, type ErrorCode } from '@hoard/protocol';

const defaultMessages: Partial<Record<ErrorCode, string>> = {
  VALIDATION_FAILED: 'the request is not valid',
  MALFORMED_JSON: 'the request body is not valid JSON',
  UNAUTHENTICATED: 'a valid session is required',
  LOGIN_FAILED: 'the e-mail address or the password is wrong',
  RECOVERY_FAILED: 'the e-mail address or the recovery key is wrong',
  REAUTH_REQUIRED: 'log in again (this needs a session at most 10 minutes old)',
  NOT_FOUND: 'not found',
  NAME_TAKEN: 'a node with that name already exists in that folder',
  ID_TAKEN: 'that id is already taken',
  REVISION_CONFLICT: 'the node has changed since it was read; read it again',
  RATE_LIMITED: 'too many attempts; try again later',
  QUOTA_EXCEEDED:
    'not enough space left: free some (delete files, empty the trash) or buy a plan (GET /plans; `hoard plans`, `hoard upgrade PLAN`)',
  PAYLOAD_TOO_LARGE: 'the request body is too large',
  UNSUPPORTED_MEDIA_TYPE: 'unsupported Content-Type',
  INTERNAL: 'internal error',
  UNAVAILABLE: 'the server is not available right now',
};

export interface AppErrorOptions {
  cause?: unknown;
  /** Seconds for a Retry-After header (RATE_LIMITED, UNAVAILABLE). */
  retryAfterSeconds?: number;
}

/**
 * An error with a stable protocol code.
 *
 * @example
 * throw new AppError('NAME_TAKEN');
 * throw new AppError('VALIDATION_FAILED', 'partNumber must be 1..12', { cause });
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message?: string, options: AppErrorOptions = {}) {
    super(message ?? defaultMessages[code] ?? code.toLowerCase().replaceAll('_', ' '), {
      cause: options.cause,
    });
    this.code = code;
    this.statusCode = errorCodes[code];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** Whether a database error is a violation of a UNIQUE or PRIMARY KEY constraint (both dialects). */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
