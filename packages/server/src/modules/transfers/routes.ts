// HTTP routes of transfers: resumable uploads (POST/GET/DELETE /uploads, PUT parts, complete) and
// ciphertext downloads with a single HTTP Range. Thin: authenticate, parse at the edge, call the
// services. Part bodies are never parsed or buffered: an application/octet-stream parser hands the
// raw request stream to the service, which streams it to the blob store.
import { Readable } from 'node:stream';
import {
  CompleteUploadRequest,
  CreateUploadRequest,
  PartTargetRequest,
  type ContentLocationResponse,
  type NodeResponse,
  type PartTargetResponse,
  type PartResponse,
  type UploadResponse,
} from '@hoard/protocol';
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../app-deps.js';
import { requireSession } from '../../auth.js';
import { AppError } from '../../errors.js';
import { idParam, parseWith } from '../../validation.js';
import { contentOfNode, contentOfVersion, type ContentSource } from './content-service.js';
import { decideRange } from './http-range.js';
import { isDirectTransferStore } from '../../storage/blob-store.js';
import { maxPartSizeBytes, UploadService, type TransferLimits } from './upload-service.js';

export type TransferRoutesOptions = AppDeps & { transferLimits?: Partial<TransferLimits> };

const DECIMAL = /^\d{1,16}$/;

function contentLengthOf(request: FastifyRequest): number | undefined {
  const header = request.headers['content-length'];
  return header !== undefined && DECIMAL.test(header) ? Number(header) : undefined;
}

/** Sends a version's ciphertext with a single HTTP Range, ETag and If-Range (links reuse it). */
export async function sendContent(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: AppDeps,
  source: ContentSource,
  immutable: boolean,
): Promise<FastifyReply> {
  const etag = `"${source.versionId}"`;
  const size = source.sizeBytes;
  reply
    .header('accept-ranges', 'bytes')
    .header('etag', etag)
    .header('cache-control', immutable ? 'private, max-age=31536000, immutable' : 'private, no-cache');
  const ifRange = request.headers['if-range'];
  const decision = decideRange(
    size,
    etag,
    request.headers.range,
    typeof ifRange === 'string' ? ifRange : undefined,
  );
  if (decision.kind === 'unsatisfiable') {
    reply.header('content-range', `bytes */${size}`);
    throw new AppError('RANGE_NOT_SATISFIABLE', `the content holds ${size} bytes`);
  }
  if (decision.kind === 'partial') {
    const { start, end } = decision;
    const stream = await deps.blobStore.read(source.blobKey, { start, end });
    return reply
      .code(206)
      .type('application/octet-stream')
      .header('content-range', `bytes ${start}-${end}/${size}`)
      .header('content-length', end - start + 1)
      .send(stream);
  }
  const stream = await deps.blobStore.read(source.blobKey);
  return reply.code(200).type('application/octet-stream').header('content-length', size).send(stream);
}

/**
 * The transfers routes, registered by createApp:
 * `await app.register(transferRoutes, deps)`.
 */
export const transferRoutes: FastifyPluginCallback<TransferRoutesOptions> = (app, options, done) => {
  const deps: AppDeps = options;
  const limits = options.transferLimits;
  // Presigned transfers when the store can hand out URLs and the config does not ask for proxying.
  const store = deps.blobStore;
  const direct =
    deps.config.s3Transfers === 'direct' && isDirectTransferStore(store)
      ? { store, ttlSeconds: deps.config.presignTtlSeconds }
      : undefined;
  const service = new UploadService({
    db: deps.db,
    blobStore: deps.blobStore,
    clock: deps.clock,
    ...(limits ? { limits } : {}),
    direct,
    partLocks: deps.shared?.partLocks,
  });
  // Just above the largest part: a bigger declared body is refused before a byte is read. (Fastify
  // checks bodyLimit only for bodies it buffers itself; this parser hands the stream through.)
  const partBodyLimitBytes = maxPartSizeBytes(limits ? { limits } : {}) + 1;

  // Encapsulated in this plugin: only the transfers routes take raw bodies.
  app.addContentTypeParser('application/octet-stream', (request, payload, done) => {
    const declared = contentLengthOf(request);
    if (declared !== undefined && declared > partBodyLimitBytes) {
      done(
        new AppError('PAYLOAD_TOO_LARGE', `a part holds at most ${partBodyLimitBytes - 1} bytes`),
        undefined,
      );
      return;
    }
    done(null, payload);
  });

  app.post('/uploads', async (request, reply): Promise<UploadResponse> => {
    const { userId } = await requireSession(request);
    const body = parseWith(CreateUploadRequest, request.body);
    const upload = await service.create(userId, body.sizeBytes);
    reply.code(201);
    return { upload };
  });

  app.get('/uploads/:id', async (request): Promise<UploadResponse> => {
    const { userId } = await requireSession(request);
    return { upload: await service.get(userId, idParam(request.params, 'id')) };
  });

  app.delete('/uploads/:id', async (request, reply) => {
    const { userId } = await requireSession(request);
    await service.abort(userId, idParam(request.params, 'id'));
    return reply.code(204).send();
  });

  app.put('/uploads/:id/parts/:partNumber', async (request, reply): Promise<PartResponse> => {
    const { userId } = await requireSession(request);
    const uploadId = idParam(request.params, 'id');
    const raw = (request.params as { partNumber?: string }).partNumber ?? '';
    const partNumber = /^\d{1,6}$/.test(raw) ? Number(raw) : Number.NaN;
    const contentType = request.headers['content-type'];
    if (contentType !== undefined && !/^application\/octet-stream\s*(;|$)/i.test(contentType)) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'a part is sent as application/octet-stream');
    }
    const body = request.body instanceof Readable ? request.body : Readable.from([]);
    try {
      const part = await service.putPart(userId, uploadId, partNumber, contentLengthOf(request), body);
      return { part };
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
  });

  app.post('/uploads/:id/parts/:partNumber/target', async (request): Promise<PartTargetResponse> => {
    const { userId } = await requireSession(request);
    const uploadId = idParam(request.params, 'id');
    const raw = (request.params as { partNumber?: string }).partNumber ?? '';
    const partNumber = /^\d{1,6}$/.test(raw) ? Number(raw) : Number.NaN;
    const body = parseWith(PartTargetRequest, request.body);
    return service.partTarget(userId, uploadId, partNumber, body);
  });

  app.get('/versions/:versionId/location', async (request): Promise<ContentLocationResponse> => {
    const { userId } = await requireSession(request);
    const source = await contentOfVersion(deps.db, userId, idParam(request.params, 'versionId'));
    if (!direct) return { location: null };
    const presigned = await direct.store.presignRead(source.blobKey, direct.ttlSeconds);
    const expiresAt = new Date(deps.clock.now() + direct.ttlSeconds * 1000).toISOString();
    return { location: { ...presigned, expiresAt } };
  });

  app.post('/uploads/:id/complete', async (request, reply): Promise<NodeResponse> => {
    const { userId } = await requireSession(request);
    const uploadId = idParam(request.params, 'id');
    const body = parseWith(CompleteUploadRequest, request.body);
    const { node, created } = await service.complete(userId, uploadId, body);
    reply.code(created ? 201 : 200);
    return { node };
  });

  app.get('/nodes/:id/content', async (request, reply) => {
    const { userId } = await requireSession(request);
    const source = await contentOfNode(deps.db, userId, idParam(request.params, 'id'));
    return sendContent(request, reply, deps, source, false);
  });

  app.get('/versions/:versionId/content', async (request, reply) => {
    const { userId } = await requireSession(request);
    const source = await contentOfVersion(deps.db, userId, idParam(request.params, 'versionId'));
    return sendContent(request, reply, deps, source, true);
  });
  done();
};
