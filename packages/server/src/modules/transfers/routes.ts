// HTTP routes of transfers: resumable uploads (POST/GET/DELETE /uploads, PUT parts, complete) and
// ciphertext downloads with a single HTTP Range. Thin: authenticate, parse at the edge, call the
// services. Part bodies are never parsed or buffered: an application/octet-stream parser hands the
// raw request stream to the service, which streams it to the blob store.
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
import { acceptPartBodies, receivePart } from './part-body.js';
import { isDirectTransferStore } from '../../storage/blob-store.js';
import { maxPartSizeBytes, UploadService, type TransferLimits } from './upload-service.js';

export type TransferRoutesOptions = AppDeps & { transferLimits?: Partial<TransferLimits> };

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
  acceptPartBodies(app, partBodyLimitBytes);

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
    const part = await receivePart(request, reply, (partNumber, declaredBytes, body) =>
      service.putPart(userId, uploadId, partNumber, declaredBytes, body),
    );
    return { part };
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
