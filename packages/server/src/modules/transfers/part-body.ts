// Receiving one upload part as a raw body, the same way on every route that takes parts (an
// account's own uploads, and uploads into a folder shared with it): the size is checked before a
// byte is read, the part number and media type are validated, and a body cut short is reported as
// such and never recorded.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';

const DECIMAL = /^\d{1,16}$/;

/** The declared Content-Length, or undefined when absent or not a plain decimal. */
export function contentLengthOf(request: FastifyRequest): number | undefined {
  const header = request.headers['content-length'];
  return header !== undefined && DECIMAL.test(header) ? Number(header) : undefined;
}

/**
 * Makes the plugin `app` take application/octet-stream bodies as streams, refusing a declared body
 * above `limitBytes` (just above the largest part) before reading it: Fastify checks bodyLimit only
 * for bodies it buffers itself. Call it inside an encapsulated plugin: only that plugin's routes
 * then take raw bodies.
 */
export function acceptPartBodies(app: FastifyInstance, limitBytes: number): void {
  app.addContentTypeParser('application/octet-stream', (request, payload, done) => {
    const declared = contentLengthOf(request);
    if (declared !== undefined && declared > limitBytes) {
      done(new AppError('PAYLOAD_TOO_LARGE', `a part holds at most ${limitBytes - 1} bytes`), undefined);
      return;
    }
    done(null, payload);
  });
}

/** What a part route hands to its service: the part number (NaN when malformed), size and bytes. */
export type StorePart<T> = (
  partNumber: number,
  declaredBytes: number | undefined,
  body: Readable,
) => Promise<T>;

/** Reads the `:partNumber` parameter and the raw body of `request`, and stores them with `store`. */
export async function receivePart<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  store: StorePart<T>,
): Promise<T> {
  const raw = (request.params as { partNumber?: string }).partNumber ?? '';
  const partNumber = /^\d{1,6}$/.test(raw) ? Number(raw) : Number.NaN;
  const contentType = request.headers['content-type'];
  if (contentType !== undefined && !/^application\/octet-stream\s*(;|$)/i.test(contentType)) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'a part is sent as application/octet-stream');
  }
  const body = request.body instanceof Readable ? request.body : Readable.from([]);
  try {
    return await store(partNumber, contentLengthOf(request), body);
  } catch (error) {
    // Refused before the body was read: close rather than read (up to a part's size) for nothing.
    if (!request.raw.complete) reply.header('connection', 'close');
    // The client went away mid-body: nothing was recorded; say so (to the log, at least).
    if (request.raw.readableAborted && !(error instanceof AppError)) {
      throw new AppError('PART_SIZE_MISMATCH', 'the body ended before Content-Length bytes', {
        cause: error,
      });
    }
    throw error;
  }
}
