// An in-memory stand-in for the tree, upload and content routes of hoard-server, behind a fetch
// function, so the SDK's transfer logic (parallel parts, retries, resume, ranges) is tested
// without a server process. Faithful where the SDK depends on it: part sizes, idempotent PUTs
// (same bytes 200, other bytes 409), completion, Range answers. Test code only.

type Json = Record<string, unknown>;

/** Children per page of a listing. */
const FAKE_PAGE_SIZE = 3;

interface FakeNode {
  id: string;
  parentId: string | null;
  type: 'folder' | 'file';
  revision: number;
  wrappedKey: string;
  encryptedAttrs: string;
  nameHash: string;
  sizeBytes: number;
  createdAt: string;
  updatedAt: string;
  trashedAt: string | null;
  currentVersionId: string | null;
  olderVersionIds: string[];
}

interface FakeVersion {
  id: string;
  nodeId: string;
  wrappedKey: string;
  encryptedAttrs: string;
  sizeBytes: number;
  createdAt: string;
}

interface FakeUpload {
  id: string;
  sizeBytes: number;
  partSizeBytes: number;
  partCount: number;
  parts: Map<number, { bytes: Uint8Array; sha256: string }>;
  state: 'open' | 'completed';
  completedNodeId: string | null;
}

function b64uId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

const now = (): string => new Date().toISOString();

function error(status: number, code: string, message = code): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

function ok(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export interface FakeServerOptions {
  partSizeBytes: number;
}

export class FakeServer {
  readonly nodes = new Map<string, FakeNode>();
  readonly versions = new Map<string, FakeVersion>();
  readonly blobs = new Map<string, Uint8Array>();
  readonly uploads = new Map<string, FakeUpload>();
  /** Part PUTs seen, by "uploadId/partNumber". */
  readonly putLog: string[] = [];
  /** The next N part PUTs fail with a network error (before the server stores anything). */
  failNextPuts = 0;
  /** Part PUTs beyond this many (successful ones) hang until the request is aborted. */
  stallAfterPuts = Infinity;
  /** Content answers break off after this many bytes (once), to test reconnects. */
  breakContentAfterBytes: number | undefined;
  /** Answer content requests with the whole body (200), as a server without Range support. */
  ignoreRange = false;
  readonly partSizeBytes: number;

  constructor(options: FakeServerOptions) {
    this.partSizeBytes = options.partSizeBytes;
  }

  /** Adds the root folder (the SDK wraps its key; the fake only stores it). */
  addRoot(id: string, wrappedKey: string): void {
    this.nodes.set(
      id,
      this.#newNode({ id, parentId: null, type: 'folder', wrappedKey, encryptedAttrs: '', nameHash: '' }),
    );
  }

  #newNode(
    fields: Pick<FakeNode, 'id' | 'parentId' | 'type' | 'wrappedKey' | 'encryptedAttrs' | 'nameHash'>,
  ): FakeNode {
    return {
      ...fields,
      revision: 1,
      sizeBytes: 0,
      createdAt: now(),
      updatedAt: now(),
      trashedAt: null,
      currentVersionId: null,
      olderVersionIds: [],
    };
  }

  nodeJson(node: FakeNode): Json {
    const version = node.currentVersionId ? this.versions.get(node.currentVersionId) : undefined;
    return {
      id: node.id,
      parentId: node.parentId,
      type: node.type,
      revision: node.revision,
      wrappedKey: node.wrappedKey,
      encryptedAttrs: node.encryptedAttrs,
      nameHash: node.nameHash,
      sizeBytes: node.sizeBytes,
      createdAt: node.createdAt,
      updatedAt: node.updatedAt,
      trashedAt: node.trashedAt,
      currentVersion: version ?? null,
    };
  }

  uploadJson(upload: FakeUpload): Json {
    return {
      id: upload.id,
      sizeBytes: upload.sizeBytes,
      partSizeBytes: upload.partSizeBytes,
      partCount: upload.partCount,
      parts: [...upload.parts.entries()]
        .sort(([a], [b]) => a - b)
        .map(([partNumber, p]) => ({ partNumber, sizeBytes: p.bytes.length, sha256: p.sha256 })),
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      state: upload.state,
    };
  }

  #nameTaken(parentId: string, nameHash: string, except?: string): boolean {
    for (const n of this.nodes.values()) {
      if (n.parentId === parentId && n.nameHash === nameHash && n.trashedAt === null && n.id !== except)
        return true;
    }
    return false;
  }

  /** The fetch function the SDK is given. */
  readonly fetch = async (input: string, init: RequestInit = {}): Promise<Response> => {
    init.signal?.throwIfAborted();
    const url = new URL(input);
    const method = init.method ?? 'GET';
    const path = url.pathname.split('/').filter(Boolean);
    const body = (): Json => JSON.parse(init.body as string) as Json;
    const headers = (init.headers ?? {}) as Record<string, string>;

    if (method === 'GET' && path[0] === 'nodes' && path.length === 2) {
      const node = this.nodes.get(path[1]!);
      return node ? ok({ node: this.nodeJson(node) }) : error(404, 'NOT_FOUND');
    }
    if (method === 'GET' && path[0] === 'nodes' && path[2] === 'children') {
      // Pages in id order, as the server answers (small pages here, so that the SDK's paging is
      // exercised by every listing of more than a few entries).
      const after = url.searchParams.get('after');
      const nameHash = url.searchParams.get('nameHash');
      const limit = Number(url.searchParams.get('limit') ?? FAKE_PAGE_SIZE);
      const children = [...this.nodes.values()]
        .filter((n) => n.parentId === path[1] && n.trashedAt === null)
        .filter((n) => nameHash === null || n.nameHash === nameHash)
        .filter((n) => after === null || n.id > after)
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const page = children.slice(0, Math.min(limit, FAKE_PAGE_SIZE));
      const next = children.length > page.length ? page[page.length - 1]!.id : null;
      return ok({ nodes: page.map((n) => this.nodeJson(n)), next });
    }
    if (method === 'GET' && path[0] === 'nodes' && path[2] === 'versions') {
      const node = this.nodes.get(path[1]!);
      if (!node) return error(404, 'NOT_FOUND');
      return ok({ versions: node.olderVersionIds.map((id) => this.versions.get(id)) });
    }
    if (method === 'POST' && path[0] === 'nodes' && path.length === 1) {
      const b = body() as unknown as FakeNode;
      if (this.#nameTaken(b.parentId!, b.nameHash)) return error(409, 'NAME_TAKEN');
      const node = this.#newNode(b);
      this.nodes.set(node.id, node);
      return ok({ node: this.nodeJson(node) }, 201);
    }
    if (method === 'PATCH' && path[0] === 'nodes') {
      const node = this.nodes.get(path[1]!);
      if (!node) return error(404, 'NOT_FOUND');
      const b = body();
      if (b.revision !== node.revision) return error(409, 'REVISION_CONFLICT');
      const parentId = (b.parentId as string | undefined) ?? node.parentId!;
      const nameHash = (b.nameHash as string | undefined) ?? node.nameHash;
      if (this.#nameTaken(parentId, nameHash, node.id)) return error(409, 'NAME_TAKEN');
      Object.assign(node, {
        parentId,
        nameHash,
        wrappedKey: (b.wrappedKey as string | undefined) ?? node.wrappedKey,
        encryptedAttrs: (b.encryptedAttrs as string | undefined) ?? node.encryptedAttrs,
        revision: node.revision + 1,
        updatedAt: now(),
      });
      return ok({ node: this.nodeJson(node) });
    }
    if (method === 'POST' && path[0] === 'uploads' && path.length === 1) {
      const { sizeBytes } = body() as { sizeBytes: number };
      const upload: FakeUpload = {
        id: b64uId(),
        sizeBytes,
        partSizeBytes: this.partSizeBytes,
        partCount: Math.max(1, Math.ceil(sizeBytes / this.partSizeBytes)),
        parts: new Map(),
        state: 'open',
        completedNodeId: null,
      };
      this.uploads.set(upload.id, upload);
      return ok({ upload: this.uploadJson(upload) }, 201);
    }
    if (path[0] === 'uploads' && path.length === 2) {
      const upload = this.uploads.get(path[1]!);
      if (!upload) return error(404, 'NOT_FOUND');
      if (method === 'DELETE') {
        this.uploads.delete(upload.id);
        return new Response(null, { status: 204 });
      }
      return ok({ upload: this.uploadJson(upload) });
    }
    if (method === 'PUT' && path[0] === 'uploads' && path[2] === 'parts') {
      const upload = this.uploads.get(path[1]!);
      if (!upload) return error(404, 'NOT_FOUND');
      const partNumber = Number(path[3]);
      this.putLog.push(`${upload.id}/${partNumber}`);
      if (this.failNextPuts > 0) {
        this.failNextPuts--;
        throw new TypeError('fetch failed', { cause: new Error('socket hang up') });
      }
      const stored = [...this.uploads.values()].reduce((n, u) => n + u.parts.size, 0);
      if (stored >= this.stallAfterPuts) {
        const signal = init.signal;
        await new Promise<void>((_, reject) => {
          signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        });
      }
      const bytes = init.body as Uint8Array;
      const start = (partNumber - 1) * upload.partSizeBytes;
      const expected = Math.min(upload.partSizeBytes, upload.sizeBytes - start);
      if (partNumber < 1 || partNumber > upload.partCount) return error(400, 'PART_OUT_OF_RANGE');
      if (bytes.length !== expected) return error(400, 'PART_SIZE_MISMATCH');
      const sha256 = await sha256Hex(bytes);
      const existing = upload.parts.get(partNumber);
      if (existing && existing.sha256 !== sha256) return error(409, 'PART_CONFLICT');
      upload.parts.set(partNumber, { bytes: bytes.slice(), sha256 });
      return ok({ part: { partNumber, sizeBytes: bytes.length, sha256 } });
    }
    if (method === 'POST' && path[0] === 'uploads' && path[2] === 'complete') {
      const upload = this.uploads.get(path[1]!);
      if (!upload) return error(404, 'NOT_FOUND');
      if (upload.state === 'completed')
        return ok({ node: this.nodeJson(this.nodes.get(upload.completedNodeId!)!) }, 201);
      if (upload.parts.size !== upload.partCount) return error(409, 'UPLOAD_INCOMPLETE');
      const blob = new Uint8Array(upload.sizeBytes);
      for (const [n, p] of upload.parts) blob.set(p.bytes, (n - 1) * upload.partSizeBytes);
      const b = body() as {
        kind: string;
        node?: FakeNode;
        nodeId?: string;
        revision?: number;
        version: { id: string; wrappedKey: string; encryptedAttrs: string };
      };
      let node: FakeNode;
      if (b.kind === 'new-file') {
        if (this.#nameTaken(b.node!.parentId!, b.node!.nameHash)) return error(409, 'NAME_TAKEN');
        node = this.#newNode({ ...b.node!, type: 'file' });
        this.nodes.set(node.id, node);
      } else {
        node = this.nodes.get(b.nodeId!)!;
        if (!node) return error(404, 'NOT_FOUND');
        if (node.revision !== b.revision) return error(409, 'REVISION_CONFLICT');
        if (node.currentVersionId) node.olderVersionIds.unshift(node.currentVersionId);
        node.revision++;
      }
      this.versions.set(b.version.id, {
        ...b.version,
        nodeId: node.id,
        sizeBytes: blob.length,
        createdAt: now(),
      });
      this.blobs.set(b.version.id, blob);
      node.currentVersionId = b.version.id;
      node.sizeBytes = blob.length;
      upload.state = 'completed';
      upload.completedNodeId = node.id;
      return ok({ node: this.nodeJson(node) }, 201);
    }
    if (method === 'GET' && path[0] === 'versions' && path[2] === 'content') {
      const blob = this.blobs.get(path[1]!);
      if (!blob) return error(404, 'NOT_FOUND');
      const range = /^bytes=(\d+)-(\d*)$/.exec(headers.range ?? '');
      if (!range || this.ignoreRange) return new Response(blob.slice(), { status: 200 });
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), blob.length - 1) : blob.length - 1;
      if (start > end) return error(416, 'RANGE_NOT_SATISFIABLE');
      let slice = blob.slice(start, end + 1);
      const breakAfter = this.breakContentAfterBytes;
      if (breakAfter !== undefined && slice.length > breakAfter) {
        this.breakContentAfterBytes = undefined;
        const head = slice.slice(0, breakAfter);
        let headSent = false;
        // Errors only once the head was read: an error discards whatever is still queued, so
        // erroring at once would break the connection before its first byte.
        const stream = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (headSent) controller.error(new TypeError('terminated'));
            else controller.enqueue(head);
            headSent = true;
          },
        });
        return new Response(stream, { status: 206 });
      }
      slice = slice.slice();
      return new Response(slice, {
        status: 206,
        headers: { 'content-range': `bytes ${start}-${end}/${blob.length}` },
      });
    }
    return error(404, 'NOT_FOUND', `fake server has no route ${method} ${url.pathname}`);
  };
}
