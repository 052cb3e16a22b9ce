// HTTP routes of sharing: the owner's link management (session required, owner only: another
// account's link is NOT_FOUND) and the anonymous link routes (no session: the link id, the password
// proof header for password links, and a download grant for content). Thin: parse at the edge,
// call the services.
import {
  CreateLinkRequest,
  LINK_PROOF_HEADER,
  ReportLinkRequest,
  UpdateLinkRequest,
  type LinkGrantResponse,
  type LinkNodeResponse,
  type LinkResponse,
  type LinksResponse,
  type NodesResponse,
  type PublicLinkResponse,
  type ReportResponse,
} from '@hoard/protocol';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../app-deps.js';
import { requireSession } from '../../auth.js';
import { AppError } from '../../errors.js';
import { InMemoryRateLimiter } from '../../rate-limiter.js';
import { idParam, parseWith } from '../../validation.js';
import { sendContent } from '../transfers/routes.js';
import { LinkService } from './link-service.js';
import { reportLink } from './report-service.js';

/** Reports per client address per hour. */
const REPORTS_PER_HOUR = 20;

function proofOf(request: FastifyRequest): string | undefined {
  const value = request.headers[LINK_PROOF_HEADER];
  return typeof value === 'string' ? value.trim() : undefined;
}

function rawParam(request: FastifyRequest, name: string): string {
  return (request.params as Record<string, string | undefined>)[name] ?? '';
}

export const sharingRoutes: FastifyPluginAsync<AppDeps> = (app, deps) => {
  const links = new LinkService(deps);
  const reportLimiter = new InMemoryRateLimiter(REPORTS_PER_HOUR, 3600, deps.clock);

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

  app.get('/links/:linkId/nodes/:nodeId/children', async (request): Promise<NodesResponse> => {
    const linkId = idParam(request.params, 'linkId');
    const nodeId = idParam(request.params, 'nodeId');
    return { nodes: await links.children(linkId, nodeId, proofOf(request)) };
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
  return Promise.resolve();
};
