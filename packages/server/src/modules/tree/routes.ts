// HTTP routes of the tree: thin wrappers that authenticate, parse with the protocol's schemas and
// call tree-service. Every route is owner-only; another account's node answers NOT_FOUND.
import {
  ChildrenQuery,
  CreateFolderRequest,
  PageQuery,
  RestoreNodeRequest,
  RevisionRequest,
  UpdateNodeRequest,
  type NodesPageResponse,
  type NodeResponse,
  type VersionsResponse,
} from '@hoard/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../../app-deps.js';
import { requireSession } from '../../auth.js';
import { idParam, parseWith } from '../../validation.js';
import * as tree from './tree-service.js';

export const treeRoutes: FastifyPluginAsync<AppDeps> = (app, deps) => {
  const { db, clock } = deps;

  app.get('/nodes/:id', async (request): Promise<NodeResponse> => {
    const { userId } = await requireSession(request);
    return { node: await tree.getNode(db, userId, idParam(request.params, 'id')) };
  });

  app.get('/nodes/:id/children', async (request): Promise<NodesPageResponse> => {
    const { userId } = await requireSession(request);
    const query = parseWith(ChildrenQuery, request.query);
    return tree.listChildren(db, userId, idParam(request.params, 'id'), query);
  });

  app.post('/nodes', async (request, reply): Promise<NodeResponse> => {
    const { userId } = await requireSession(request);
    const body = parseWith(CreateFolderRequest, request.body);
    const node = await tree.createFolder(db, userId, body, clock.now());
    reply.code(201);
    return { node };
  });

  app.patch('/nodes/:id', async (request): Promise<NodeResponse> => {
    const { userId } = await requireSession(request);
    const id = idParam(request.params, 'id');
    const body = parseWith(UpdateNodeRequest, request.body);
    return { node: await tree.updateNode(db, userId, id, body, clock.now()) };
  });

  app.post('/nodes/:id/trash', async (request): Promise<NodeResponse> => {
    const { userId } = await requireSession(request);
    const id = idParam(request.params, 'id');
    const { revision } = parseWith(RevisionRequest, request.body);
    return { node: await tree.trashNode(db, userId, id, revision, clock.now()) };
  });

  app.get('/trash', async (request): Promise<NodesPageResponse> => {
    const { userId } = await requireSession(request);
    return tree.listTrash(db, userId, parseWith(PageQuery, request.query));
  });

  app.post('/trash/empty', async (request, reply) => {
    const { userId } = await requireSession(request);
    await tree.emptyTrash(db, userId, clock.now());
    return reply.code(204).send();
  });

  app.post('/nodes/:id/restore', async (request): Promise<NodeResponse> => {
    const { userId } = await requireSession(request);
    const id = idParam(request.params, 'id');
    const body = parseWith(RestoreNodeRequest, request.body);
    return { node: await tree.restoreNode(db, userId, id, body, clock.now()) };
  });

  app.delete('/nodes/:id', async (request, reply) => {
    const { userId } = await requireSession(request);
    await tree.deleteNode(db, userId, idParam(request.params, 'id'), clock.now());
    return reply.code(204).send();
  });

  app.get('/nodes/:id/versions', async (request): Promise<VersionsResponse> => {
    const { userId } = await requireSession(request);
    return { versions: await tree.listVersions(db, userId, idParam(request.params, 'id')) };
  });

  app.post('/nodes/:id/versions/:versionId/restore', async (request): Promise<NodeResponse> => {
    const { userId } = await requireSession(request);
    const id = idParam(request.params, 'id');
    const versionId = idParam(request.params, 'versionId');
    const { revision } = parseWith(RevisionRequest, request.body);
    return { node: await tree.restoreVersion(db, userId, id, versionId, revision, clock.now()) };
  });
  return Promise.resolve();
};
