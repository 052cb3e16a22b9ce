// The one table of error codes: every failure the server reports has a stable code and one HTTP
// status. The server maps AppError(code) through it; the client turns the body into ApiError.
import { z } from 'zod';

/** Every error code, with the HTTP status it is sent with. */
export const errorCodes = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  PART_SIZE_MISMATCH: 400,
  PART_OUT_OF_RANGE: 400,
  MOVE_INTO_DESCENDANT: 400,
  UNKNOWN_PLAN: 400,
  ROOT_IMMUTABLE: 400,
  NOT_A_FOLDER: 400,
  NOT_A_FILE: 400,
  NOT_IN_TRASH: 400,
  UNAUTHENTICATED: 401,
  LINK_PASSWORD_REQUIRED: 401,
  LINK_PASSWORD_WRONG: 401,
  LOGIN_FAILED: 401,
  WEBHOOK_SIGNATURE_INVALID: 401,
  RECOVERY_FAILED: 401,
  REAUTH_REQUIRED: 403,
  QUOTA_EXCEEDED: 403,
  SHARE_READ_ONLY: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  EMAIL_TAKEN: 409,
  ID_TAKEN: 409,
  NAME_TAKEN: 409,
  REVISION_CONFLICT: 409,
  PART_CONFLICT: 409,
  PART_IN_PROGRESS: 409,
  UPLOAD_INCOMPLETE: 409,
  DIRECT_TRANSFERS_OFF: 409,
  PARENT_GONE: 409,
  ALREADY_SHARED: 409,
  SHARE_ANSWERED: 409,
  PAYMENTS_DISABLED: 409,
  UPLOAD_EXPIRED: 410,
  LINK_EXPIRED: 410,
  LINK_EXHAUSTED: 410,
  LINK_REVOKED: 410,
  LINK_GRANT_EXPIRED: 410,
  LINK_DISABLED: 451,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RANGE_NOT_SATISFIABLE: 416,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

/** A stable error code, e.g. `NAME_TAKEN`. */
export type ErrorCode = keyof typeof errorCodes;

/** The error codes as a zod enum. */
export const ErrorCode = z.enum(Object.keys(errorCodes) as [ErrorCode, ...ErrorCode[]]);

/** Whether `code` is one of the protocol's error codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(errorCodes, code);
}

/** The HTTP status of an error code. */
export function statusOf(code: ErrorCode): number {
  return errorCodes[code];
}

/**
 * The body of every non-2xx answer. `code` is parsed as any string so that a client keeps working
 * when a newer server adds a code; compare it with `isErrorCode`.
 *
 * @example
 * { "error": { "code": "NAME_TAKEN", "message": "a node with that name already exists here" } }
 */
export const ErrorBody = z.object({
  error: z.object({ code: z.string().min(1), message: z.string() }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;
