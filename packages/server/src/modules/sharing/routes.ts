// HTTP routes of sharing: the owner's link management (session required, owner only: another
// account's link is NOT_FOUND) and the anonymous link routes (no session: the link id, the password
// proof header for password links, and a download grant for content). Thin: parse at the edge,
// call the services.
import {
  CompleteUploadRequest,
  CreateFolderRequest,
  CreateShareRequest,
  CreateUploadRequest,
  KeyLookupRequest,
  RevisionRequest,
  UpdateNodeRequest,
  type NodeResponse,
  type PartResponse,
  type PublishedKeysResponse,
  type ShareResponse,
  type SharesResponse,
  type UploadResponse,
  ChildrenQuery,
  CreateLinkRequest,
  LINK_PROOF_HEADER,
  ReportLinkRequest,
  UpdateLinkRequest,
  type NodesPageResponse,
  type LinkGrantResponse,
  type LinkNodeResponse,
  type LinkResponse,
  type LinksResponse,
  type PublicLinkResponse,
  type ReportResponse,
} from '@hoard/protocol';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../app-deps.js';
import { requireSession } from '../../auth.js';
import { AppError } from '../../errors.js';
import { InProcessSharedState } from '../../shared-state/shared-state.js';
import { idParam, parseWith } from '../../validation.js';
import { acceptPartBodies, receivePart } from '../transfers/part-body.js';
import { sendContent } from '../transfers/routes.js';
import { UploadService, maxPartSizeBytes } from '../transfers/upload-service.js';
import { ShareService } from './share-service.js';
import { LinkService } from './link-service.js';
import { reportLink } from './report-service.js';

/** Reports per client address per hour. */
const REPORTS_PER_HOUR = 20;
/** Key look-ups per account per hour (they tell whether an e-mail address has an account). */
const KEY_LOOKUPS_PER_HOUR = 100;

function proofOf(request: FastifyRequest): string | undefined {
  const value = request.headers[LINK_PROOF_HEADER];
  return typeof value === 'string' ? value.trim() : undefined;
}

function rawParam(request: FastifyRequest, name: string): string {
  return (request.params as Record<string, string | undefined>)[name] ?? '';
}

export const sharingRoutes: FastifyPluginAsync<AppDeps> = (app, deps) => {
  const links = new LinkService(deps);
  // Shared by every server in a fleet (Redis); both limits let requests through while it is down.
  const shared = deps.shared ?? new InProcessSharedState(deps.clock);
  const reportLimiter = shared.rateLimiter(
    'link-reports-ip',
    { limit: REPORTS_PER_HOUR, windowSeconds: 3600 },
    'allow',
  );

  // ---- the owner ----

  app.post('/links', async (request, reply): Promise<LinkResponse> => {
    const { userId } = await requireSession(request);
    const body = parseWith(CreateLinkRequest, request.body);
    reply.code(201);
    return { link: await links.create(userId, body) };
  });

  app.get('/links', async (request): Promise<LinksResponse> => {
    const { userId } = await requireSession(request);
    return { links: await links.list(userId) };
  });

  app.patch('/links/:linkId', async (request): Promise<LinkResponse> => {
    const { userId } = await requireSession(request);
    const linkId = idParam(request.params, 'linkId');
    const body = parseWith(UpdateLinkRequest, request.body);
    return { link: await links.update(userId, linkId, body) };
  });

  app.delete('/links/:linkId', async (request, reply) => {
    const { userId } = await requireSession(request);
    await links.revoke(userId, idParam(request.params, 'linkId'));
    return reply.code(204).send();
  });

  // ---- anyone with the link ----

  app.get('/links/:linkId/public', async (request): Promise<PublicLinkResponse> => {
    return { link: await links.publicInfo(idParam(request.params, 'linkId')) };
  });

  app.get('/links/:linkId/node', async (request): Promise<LinkNodeResponse> => {
    return links.linkedNode(idParam(request.params, 'linkId'), proofOf(request));
  });

  app.get('/links/:linkId/nodes/:nodeId/children', async (request): Promise<NodesPageResponse> => {
    const linkId = idParam(request.params, 'linkId');
    const nodeId = idParam(request.params, 'nodeId');
    const query = parseWith(ChildrenQuery, request.query);
    return links.children(linkId, nodeId, proofOf(request), query);
  });

  app.post('/links/:linkId/grants', async (request, reply): Promise<LinkGrantResponse> => {
    const grant = await links.createGrant(idParam(request.params, 'linkId'), proofOf(request));
    reply.code(201);
    return { grant };
  });

  app.get('/links/:linkId/grants/:grantId/content', async (request, reply) => {
    const source = await links.content(idParam(request.params, 'linkId'), rawParam(request, 'grantId'));
    return sendContent(request, reply, deps, source, false);
  });

  app.get('/links/:linkId/grants/:grantId/versions/:versionId/content', async (request, reply) => {
    const source = await links.content(
      idParam(request.params, 'linkId'),
      rawParam(request, 'grantId'),
      idParam(request.params, 'versionId'),
    );
    return sendContent(request, reply, deps, source, true);
  });

  app.post('/links/:linkId/reports', async (request, reply): Promise<ReportResponse> => {
    const linkId = idParam(request.params, 'linkId');
    const body = parseWith(ReportLinkRequest, request.body);
    const decision = await reportLimiter.consume(request.ip);
    if (!decision.allowed) {
      throw new AppError('RATE_LIMITED', 'too many reports from this address; try again later', {
        retryAfterSeconds: decision.retryAfterSeconds,
      });
    }
    reply.code(201);
    return { report: await reportLink(deps.db, deps.clock, linkId, body) };
  });

  // ---- sharing between accounts ----

  // Uploads through a share always pass through the server (no presigned parts: the part targets
  // are the owner's); part locks are the fleet's shared ones.
  const uploads = new UploadService({
    db: deps.db,
    blobStore: deps.blobStore,
    clock: deps.clock,
    partLocks: deps.shared?.partLocks,
  });
  const shares = new ShareService({ db: deps.db, clock: deps.clock, uploads });
  const lookupLimiter = shared.rateLimiter(
    'key-lookups-user',
    { limit: KEY_LOOKUPS_PER_HOUR, windowSeconds: 3600 },
    'allow',
  );
  const partBodyLimitBytes = maxPartSizeBytes({}) + 1;
  // Encapsulated in this plugin: share part uploads take raw bodies, as in the transfers routes.
  acceptPartBodies(app, partBodyLimitBytes);

  app.post('/keys/lookup', async (request): Promise<PublishedKeysResponse> => {
    const { userId } = await requireSession(request);
    const { email } = parseWith(KeyLookupRequest, request.body);
    const decision = await lookupLimiter.consume(userId);
    if (!decision.allowed) {
      throw new AppError('RATE_LIMITED', 'too many key look-ups; try again later', {
        retryAfterSeconds: decision.retryAfterSeconds,
      });
    }
    return { account: await shares.lookupKeys(email) };
  });

  app.post('/shares', async (request, reply): Promise<ShareResponse> => {
    const { userId } = await requireSession(request);
    const body = parseWith(CreateShareRequest, request.body);
    reply.code(201);
    return { share: await shares.create(userId, body) };
  });

  app.get('/shares', async (request): Promise<SharesResponse> => {
    const { userId } = await requireSession(request);
    return shares.list(userId);
  });

  app.post('/shares/:shareId/accept', async (request): Promise<ShareResponse> => {
    const { userId } = await requireSession(request);
    return { share: await shares.answer(userId, idParam(request.params, 'shareId'), 'accepted') };
  });

  app.post('/shares/:shareId/decline', async (request): Promise<ShareResponse> => {
    const { userId } = await requireSession(request);
    return { share: await shares.answer(userId, idParam(request.params, 'shareId'), 'declined') };
  });

  app.delete('/shares/:shareId', async (request, reply) => {
    const { userId } = await requireSession(request);
    await shares.remove(userId, idParam(request.params, 'shareId'));
    return reply.code(204).send();
  });

  app.get('/shares/:shareId/node', async (request): Promise<NodeResponse> => {
    const { userId } = await requireSession(request);
    return { node: await shares.node(userId, idParam(request.params, 'shareId')) };
  });

  app.get('/shares/:shareId/nodes/:nodeId/children', async (request): Promise<NodesPageResponse> => {
    const { userId } = await requireSession(request);
    const shareId = idParam(request.params, 'shareId');
    const query = parseWith(ChildrenQuery, request.query);
    return shares.children(userId, shareId, idParam(request.params, 'nodeId'), query);
  });

  app.get('/shares/:shareId/versions/:versionId/content', async (request, reply) => {
    const { userId } = await requireSession(request);
    const shareId = idParam(request.params, 'shareId');
    const source = await shares.content(userId, shareId, idParam(request.params, 'versionId'));
    return sendContent(request, reply, deps, source, true);
  });

  app.post('/shares/:shareId/nodes', async (request, reply): Promise<NodeResponse> => {
    const { userId } = await requireSession(request);
    const shareId = idParam(request.params, 'shareId');
    const body = parseWith(CreateFolderRequest, request.body);
    const node = await shares.createFolder(userId, shareId, body);
    reply.code(201);
    return { node };
  });

  app.patch('/shares/:shareId/nodes/:nodeId', async (request): Promise<NodeResponse> => {
    const { userId } = await requireSession(request);
    const shareId = idParam(request.params, 'shareId');
    const nodeId = idParam(request.params, 'nodeId');
    const body = parseWith(UpdateNodeRequest, request.body);
    return { node: await shares.updateNode(userId, shareId, nodeId, body) };
  });

  app.post('/shares/:shareId/nodes/:nodeId/trash', async (request): Promise<NodeResponse> => {
    const { userId } = await requireSession(request);
    const shareId = idParam(request.params, 'shareId');
    const nodeId = idParam(request.params, 'nodeId');
    const { revision } = parseWith(RevisionRequest, request.body);
    return { node: await shares.trash(userId, shareId, nodeId, revision) };
  });

  app.post('/shares/:shareId/uploads', async (request, reply): Promise<UploadResponse> => {
    const { userId } = await requireSession(request);
    const shareId = idParam(request.params, 'shareId');
    const body = parseWith(CreateUploadRequest, request.body);
    const upload = await shares.createUpload(userId, shareId, body.sizeBytes);
    reply.code(201);
    return { upload };
  });

  app.get('/shares/:shareId/uploads/:id', async (request): Promise<UploadResponse> => {
    const { userId } = await requireSession(request);
    const shareId = idParam(request.params, 'shareId');
    return { upload: await shares.getUpload(userId, shareId, idParam(request.params, 'id')) };
  });

  app.delete('/shares/:shareId/uploads/:id', async (request, reply) => {
    const { userId } = await requireSession(request);
    const shareId = idParam(request.params, 'shareId');
    await shares.abortUpload(userId, shareId, idParam(request.params, 'id'));
    return reply.code(204).send();
  });

  app.put('/shares/:shareId/uploads/:id/parts/:partNumber', async (request, reply): Promise<PartResponse> => {
    const { userId } = await requireSession(request);
    const shareId = idParam(request.params, 'shareId');
    const uploadId = idParam(request.params, 'id');
    const part = await receivePart(request, reply, (partNumber, declaredBytes, body) =>
      shares.putPart(userId, shareId, uploadId, partNumber, declaredBytes, body),
    );
    return { part };
  });

  app.post('/shares/:shareId/uploads/:id/complete', async (request, reply): Promise<NodeResponse> => {
    const { userId } = await requireSession(request);
    const shareId = idParam(request.params, 'shareId');
    const uploadId = idParam(request.params, 'id');
    const body = parseWith(CompleteUploadRequest, request.body);
    const { node, created } = await shares.completeUpload(userId, shareId, uploadId, body);
    reply.code(created ? 201 : 200);
    return { node };
  });
  return Promise.resolve();
};
