// The encrypted tree as a user sees it: paths, names, folders and files. The server stores only
// wrapped keys, encrypted attributes and name hashes; this module unwraps, decrypts and verifies
// them (a node's key must unwrap under its parent's key with the node's own id, its attributes
// must decrypt and parse, its name must hash to the name hash the server indexes it under), and
// builds the wraps, attributes and hashes for every change. It never sends a name or a key.

import {
  decryptAttributes,
  encryptAttributes,
  fromB64u,
  nameHash,
  plaintextSize,
  randomId,
  randomKey,
  toB64u,
  unwrapKey,
  wrapKey,
  type AeadOptions,
} from '@hoard/crypto';
import { ApiError, ClientError } from './api-error.js';
import {
  compact,
  nodeAttributesSchema,
  versionAttributesSchema,
  type NodeAttributes,
  type VersionAttributes,
} from './attributes.js';
import type { HttpClient } from './http-client.js';
import { fetchAllNodes, fetchChildByNameHash } from './node-pages.js';
import { runPool } from './pool.js';
import { schemas, type Node, type Version } from './protocol-adapter.js';
import { joinRemotePath, splitRemotePath, validateName } from './remote-path.js';

/** A node with its key unwrapped and its attributes decrypted and verified. */
export interface RemoteEntry {
  id: string;
  type: 'folder' | 'file';
  /** '' for the root. */
  name: string;
  /** Absolute remote path ('/' for the root); for trashed entries, where it was. */
  path: string;
  mime?: string;
  /** Plaintext size of the current version (0 for folders). */
  sizeBytes: number;
  /** Modification time the uploader recorded for the current version, if any. */
  mtimeMs?: number;
  /** The current version's preview image (a data: URL), if the uploader made one. */
  thumbnail?: string;
  createdAt: string;
  updatedAt: string;
  trashedAt: string | null;
  /** The protocol node as the server sent it (revision, current version, ...). */
  node: Node;
  /** The node key: it wraps the children's keys (folders) or the versions' keys (files). */
  key: Uint8Array;
}

/** One version of a file, decrypted. */
export interface VersionEntry {
  id: string;
  nodeId: string;
  /** Plaintext size. */
  sizeBytes: number;
  mtimeMs?: number;
  /** Preview image (a data: URL), if the uploader made one. */
  thumbnail?: string;
  createdAt: string;
  /** Ciphertext size on the server. */
  cipherSizeBytes: number;
  version: Version;
  /** The version's content key. */
  key: Uint8Array;
}

/** Unwraps and decrypts a version's key and attributes under its file's key. */
export async function openVersion(
  fileKey: Uint8Array,
  version: Version,
  options: AeadOptions = {},
): Promise<VersionEntry> {
  const key = await unwrapKey(fileKey, fromB64u(version.wrappedKey), 'version-key', version.id, options);
  const attrs: VersionAttributes = versionAttributesSchema.parse(
    await decryptAttributes(key, 'version', version.id, fromB64u(version.encryptedAttrs), options),
  );
  if (plaintextSize(version.sizeBytes) !== attrs.sizeBytes) {
    throw new ClientError('UNREADABLE', 'a version claims a size its ciphertext does not have');
  }
  return compact({
    id: version.id,
    nodeId: version.nodeId,
    sizeBytes: attrs.sizeBytes,
    mtimeMs: attrs.mtimeMs,
    thumbnail: attrs.thumbnail,
    createdAt: version.createdAt,
    cipherSizeBytes: version.sizeBytes,
    version,
    key,
  });
}

/** Unwraps, decrypts and verifies a node found under `parent` (its key wraps the node's). */
export async function openChildNode(
  node: Node,
  parent: { id: string; key: Uint8Array; path: string },
  options: AeadOptions = {},
): Promise<RemoteEntry> {
  if (node.parentId !== parent.id) throw new ClientError('UNREADABLE', 'a node is not where the server said');
  const key = await unwrapKey(parent.key, fromB64u(node.wrappedKey), 'node-key', node.id, options);
  const attrs: NodeAttributes = nodeAttributesSchema.parse(
    await decryptAttributes(key, 'node', node.id, fromB64u(node.encryptedAttrs), options),
  );
  if ((await nameHash(parent.key, attrs.name)) !== node.nameHash) {
    throw new ClientError('UNREADABLE', 'a node name does not match its name hash');
  }
  return openedEntry(node, key, attrs, parent.path, options);
}

/** A RemoteEntry from a node whose key and attributes were already opened and checked. */
export async function openedEntry(
  node: Node,
  key: Uint8Array,
  attrs: NodeAttributes,
  parentPath: string,
  options: AeadOptions = {},
): Promise<RemoteEntry> {
  let sizeBytes = 0;
  let mtimeMs: number | undefined;
  let thumbnail: string | undefined;
  if (node.type === 'file' && node.currentVersion) {
    const version = await openVersion(key, node.currentVersion, options);
    sizeBytes = version.sizeBytes;
    mtimeMs = version.mtimeMs;
    thumbnail = version.thumbnail;
  }
  return compact({
    id: node.id,
    type: node.type,
    name: attrs.name,
    path: parentPath === '/' ? `/${attrs.name}` : `${parentPath}/${attrs.name}`,
    mime: attrs.mime,
    sizeBytes,
    mtimeMs,
    thumbnail,
    createdAt: node.createdAt,
    updatedAt: node.updatedAt,
    trashedAt: node.trashedAt,
    node,
    key,
  });
}

/** A node's attributes with a new name (its media type kept), encrypted under its own key. */
async function renamedAttributes(entry: RemoteEntry, name: string, options: AeadOptions): Promise<string> {
  return toB64u(
    await encryptAttributes(entry.key, 'node', entry.id, compact({ name, mime: entry.mime }), options),
  );
}

/**
 * The body of `POST /nodes` that creates the folder `name` in `parent`, with a fresh id and key:
 * for the account's own tree and for shared folders alike.
 */
export async function newFolderBody(
  parent: RemoteEntry,
  name: string,
  options: AeadOptions,
): Promise<Record<string, unknown>> {
  const validName = validateName(name);
  const id = randomId();
  const key = randomKey();
  return {
    id,
    parentId: parent.id,
    type: 'folder',
    wrappedKey: toB64u(await wrapKey(parent.key, key, 'node-key', id, options)),
    encryptedAttrs: toB64u(await encryptAttributes(key, 'node', id, { name: validName }, options)),
    nameHash: await nameHash(parent.key, validName),
  };
}

/**
 * The body of `PATCH /nodes/:id` that moves `entry` into `newParent` (its key re-wrapped under
 * the new parent's), renamed to `newName` when given and different.
 */
export async function moveBody(
  entry: RemoteEntry,
  newParent: RemoteEntry,
  newName: string | undefined,
  options: AeadOptions,
): Promise<Record<string, unknown>> {
  if (newParent.type !== 'folder') throw new ClientError('NOT_A_FOLDER', `not a folder: ${newParent.path}`);
  const name = validateName(newName ?? entry.name);
  const body: Record<string, unknown> = {
    revision: entry.node.revision,
    parentId: newParent.id,
    wrappedKey: toB64u(await wrapKey(newParent.key, entry.key, 'node-key', entry.id, options)),
    nameHash: await nameHash(newParent.key, name),
  };
  if (name !== entry.name) body.encryptedAttrs = await renamedAttributes(entry, name, options);
  return body;
}

/** The body of `PATCH /nodes/:id` that renames `entry` in its folder `parent`. */
export async function renameBody(
  entry: RemoteEntry,
  parent: RemoteEntry,
  newName: string,
  options: AeadOptions,
): Promise<Record<string, unknown>> {
  const name = validateName(newName);
  return {
    revision: entry.node.revision,
    encryptedAttrs: await renamedAttributes(entry, name, options),
    nameHash: await nameHash(parent.key, name),
  };
}

/** A folder's children, opened: the readable ones sorted by name, and how many were not. */
export interface FolderListing {
  entries: RemoteEntry[];
  /** Children that failed to decrypt or verify (left out: a crafted node must not break a listing). */
  unreadable: number;
}

/**
 * How many children are opened at once. With WebCrypto each child is a few async calls, and
 * enough in flight keeps its queue busy; far more (all 10,000 of a big folder at once) only keeps
 * every child's intermediate keys and buffers alive together, which made garbage collection cost
 * as much as the decryption.
 */
const OPEN_CONCURRENCY = 64;

/**
 * Opens (unwraps, decrypts, verifies with `open`) the nodes the server listed under a folder: the
 * one listing routine of the account's tree, shared folders and links.
 */
export async function openChildren(
  nodes: readonly Node[],
  open: (node: Node) => Promise<RemoteEntry>,
): Promise<FolderListing> {
  const entries: RemoteEntry[] = [];
  let unreadable = 0;
  await runPool(nodes, OPEN_CONCURRENCY, async (node) => {
    try {
      entries.push(await open(node));
    } catch {
      unreadable++;
    }
  });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { entries, unreadable };
}

/** Path resolution and every tree operation, for one logged-in account. */
export class Tree {
  readonly #http: HttpClient;
  readonly #masterKey: Uint8Array;
  readonly rootNodeId: string;
  /** The AES-256-GCM backend for key wraps and attributes (the CLI injects a node:crypto one). */
  readonly #crypto: AeadOptions;

  constructor(http: HttpClient, masterKey: Uint8Array, rootNodeId: string, options: AeadOptions = {}) {
    this.#http = http;
    this.#masterKey = masterKey;
    this.rootNodeId = rootNodeId;
    this.#crypto = options.aead ? { aead: options.aead } : {};
  }

  /** The root folder. */
  async root(): Promise<RemoteEntry> {
    const { node } = await this.#http.json('GET', `/nodes/${this.rootNodeId}`, schemas.nodeResponse);
    if (node.id !== this.rootNodeId || node.parentId !== null || node.type !== 'folder') {
      throw new ClientError('UNREADABLE', 'the server sent a root folder that is not ours');
    }
    const key = await unwrapKey(
      this.#masterKey,
      fromB64u(node.wrappedKey),
      'node-key',
      node.id,
      this.#crypto,
    );
    return {
      id: node.id,
      type: 'folder',
      name: '',
      path: '/',
      sizeBytes: 0,
      createdAt: node.createdAt,
      updatedAt: node.updatedAt,
      trashedAt: node.trashedAt,
      node,
      key,
    };
  }

  /** Unwraps, decrypts and verifies a node found under `parent`. */
  open(node: Node, parent: { id: string; key: Uint8Array; path: string }): Promise<RemoteEntry> {
    return openChildNode(node, parent, this.#crypto);
  }

  /**
   * The children of a folder, sorted by name. Children that fail to decrypt or verify are left
   * out and counted in `unreadable` (a crafted node must not break the listing of a folder).
   */
  async list(folder: RemoteEntry): Promise<FolderListing> {
    if (folder.type !== 'folder') throw new ClientError('NOT_A_FOLDER', `not a folder: ${folder.path}`);
    const nodes = await fetchAllNodes(this.#http, `/nodes/${folder.id}/children`);
    return openChildren(nodes, (node) => this.open(node, folder));
  }

  /** The child called `name` in `folder`, or undefined. Finds it by name hash, then verifies it. */
  async findChild(folder: RemoteEntry, name: string): Promise<RemoteEntry | undefined> {
    if (folder.type !== 'folder') throw new ClientError('NOT_A_FOLDER', `not a folder: ${folder.path}`);
    const wanted = await nameHash(folder.key, validateName(name));
    const node = await fetchChildByNameHash(this.#http, `/nodes/${folder.id}/children`, wanted);
    if (!node) return undefined;
    const entry = await this.open(node, folder);
    if (entry.name !== name.normalize('NFC'))
      throw new ClientError('UNREADABLE', 'a node name does not match');
    return entry;
  }

  /** The entry at `path`, or undefined when some name on the way does not exist. */
  async find(path: string): Promise<RemoteEntry | undefined> {
    let current = await this.root();
    for (const name of splitRemotePath(path)) {
      if (current.type !== 'folder') return undefined;
      const child = await this.findChild(current, name);
      if (!child) return undefined;
      current = child;
    }
    return current;
  }

  /** The entry at `path`; throws ClientError NOT_FOUND. */
  async get(path: string): Promise<RemoteEntry> {
    const entry = await this.find(path);
    if (!entry)
      throw new ClientError('NOT_FOUND', `no such file or folder: ${joinRemotePath(splitRemotePath(path))}`);
    return entry;
  }

  /** The folder at `path`; throws NOT_FOUND or NOT_A_FOLDER. */
  async getFolder(path: string): Promise<RemoteEntry> {
    const entry = await this.get(path);
    if (entry.type !== 'folder') throw new ClientError('NOT_A_FOLDER', `not a folder: ${entry.path}`);
    return entry;
  }

  /** The parent folder of `path` and the last name of it (the root has no parent). */
  async getParent(path: string): Promise<{ parent: RemoteEntry; name: string }> {
    const names = splitRemotePath(path);
    const name = names.pop();
    if (name === undefined) throw new ClientError('INVALID_PATH', 'the root has no parent');
    return { parent: await this.getFolder(joinRemotePath(names)), name: validateName(name) };
  }

  /** Creates the folder `name` in `parent`. */
  async createFolder(parent: RemoteEntry, name: string): Promise<RemoteEntry> {
    const { node } = await this.#http.json('POST', '/nodes', schemas.nodeResponse, {
      json: await newFolderBody(parent, name, this.#crypto),
    });
    return this.open(node, parent);
  }

  /**
   * Creates the folder at `path`. With `parents`, creates missing ancestors too and accepts an
   * existing folder (like `mkdir -p`); without, the parent must exist and the name must be free.
   */
  async mkdir(path: string, options: { parents?: boolean } = {}): Promise<RemoteEntry> {
    const names = splitRemotePath(path);
    if (names.length === 0) {
      if (options.parents) return this.root();
      throw new ClientError('NAME_TAKEN', 'the root folder already exists');
    }
    if (!options.parents) {
      const { parent, name } = await this.getParent(path);
      if (await this.findChild(parent, name)) {
        throw new ClientError('NAME_TAKEN', `already exists: ${joinRemotePath(names)}`);
      }
      return this.createFolder(parent, name);
    }
    let current = await this.root();
    for (const name of names) current = await this.ensureFolder(current, name);
    return current;
  }

  /** The folder `name` in `parent`, created if missing (tolerates a concurrent creation). */
  ensureFolder(parent: RemoteEntry, name: string): Promise<RemoteEntry> {
    return ensureFolderIn(this, parent, name);
  }

  /**
   * Moves `entry` into `newParent` (re-wrapping its key under the new parent's key), optionally
   * renaming it on the way.
   */
  async move(entry: RemoteEntry, newParent: RemoteEntry, newName?: string): Promise<RemoteEntry> {
    const { node } = await this.#http.json('PATCH', `/nodes/${entry.id}`, schemas.nodeResponse, {
      json: await moveBody(entry, newParent, newName, this.#crypto),
    });
    return this.open(node, newParent);
  }

  /** Renames `entry` in place (`parent` is its current folder). */
  async rename(entry: RemoteEntry, parent: RemoteEntry, newName: string): Promise<RemoteEntry> {
    const { node } = await this.#http.json('PATCH', `/nodes/${entry.id}`, schemas.nodeResponse, {
      json: await renameBody(entry, parent, newName, this.#crypto),
    });
    return this.open(node, parent);
  }

  /** Moves `entry` (and everything under it) to the trash. */
  async trash(entry: RemoteEntry): Promise<void> {
    if (entry.id === this.rootNodeId)
      throw new ClientError('INVALID_PATH', 'the root folder cannot be deleted');
    await this.#http.json('POST', `/nodes/${entry.id}/trash`, schemas.nodeResponse, {
      json: { revision: entry.node.revision },
    });
  }

  /**
   * Opens a node whose parent is not known yet, by walking up to the root (used for the trash,
   * whose entries are listed without their ancestors).
   */
  async openByAncestry(node: Node, cache = new Map<string, RemoteEntry>()): Promise<RemoteEntry> {
    const chain: Node[] = [node];
    let parentId = node.parentId;
    let anchor: RemoteEntry | undefined;
    while (parentId !== null) {
      anchor = cache.get(parentId);
      if (anchor) break;
      if (parentId === this.rootNodeId) {
        anchor = await this.root();
        cache.set(anchor.id, anchor);
        break;
      }
      const { node: parent } = await this.#http.json('GET', `/nodes/${parentId}`, schemas.nodeResponse);
      if (chain.length > 10_000) throw new ClientError('UNREADABLE', 'a node ancestry does not end');
      chain.push(parent);
      parentId = parent.parentId;
    }
    if (!anchor) throw new ClientError('UNREADABLE', 'a node is not under our root folder');
    let current = anchor;
    for (const step of chain.reverse()) {
      const cached = cache.get(step.id);
      current = cached ?? (await this.open(step, current));
      cache.set(step.id, current);
    }
    return current;
  }

  /** The top entries of the trash, with the paths they were trashed from. */
  async listTrash(): Promise<{ entries: RemoteEntry[]; unreadable: number }> {
    const nodes = await fetchAllNodes(this.#http, '/trash');
    const cache = new Map<string, RemoteEntry>();
    const entries: RemoteEntry[] = [];
    let unreadable = 0;
    for (const node of nodes) {
      try {
        entries.push(await this.openByAncestry(node, cache));
      } catch {
        unreadable++;
      }
    }
    entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { entries, unreadable };
  }

  /**
   * Restores a trashed entry to where it was, or into `newParent` (its key re-wrapped) when given.
   * Throws ApiError PARENT_GONE when the old parent is gone and no new parent is given.
   */
  async restore(entry: RemoteEntry, newParent?: RemoteEntry): Promise<void> {
    const body: Record<string, unknown> = { revision: entry.node.revision };
    if (newParent) {
      body.parentId = newParent.id;
      body.wrappedKey = toB64u(await wrapKey(newParent.key, entry.key, 'node-key', entry.id, this.#crypto));
      body.nameHash = await nameHash(newParent.key, entry.name);
    }
    await this.#http.json('POST', `/nodes/${entry.id}/restore`, schemas.nodeResponse, { json: body });
  }

  /** Deletes everything in the trash for good. */
  async emptyTrash(): Promise<void> {
    await this.#http.empty('POST', '/trash/empty');
  }

  /** Deletes one entry at the top of the trash for good. */
  async deleteForever(entry: RemoteEntry): Promise<void> {
    await this.#http.empty('DELETE', `/nodes/${entry.id}`);
  }

  /** The older versions of a file, newest first (the current one excluded). */
  async versions(file: RemoteEntry): Promise<VersionEntry[]> {
    if (file.type !== 'file') throw new ClientError('NOT_A_FILE', `not a file: ${file.path}`);
    const { versions } = await this.#http.json('GET', `/nodes/${file.id}/versions`, schemas.versionsResponse);
    return Promise.all(
      versions.map((version) => {
        if (version.nodeId !== file.id) throw new ClientError('UNREADABLE', 'a version of another file');
        return openVersion(file.key, version, this.#crypto);
      }),
    );
  }

  /** Makes an older version current (the current one becomes an older version). */
  async restoreVersion(file: RemoteEntry, versionId: string): Promise<void> {
    await this.#http.json('POST', `/nodes/${file.id}/versions/${versionId}/restore`, schemas.nodeResponse, {
      json: { revision: file.node.revision },
    });
  }

  /** The current version of a file, decrypted. */
  async currentVersion(file: RemoteEntry): Promise<VersionEntry> {
    if (file.type !== 'file') throw new ClientError('NOT_A_FILE', `not a file: ${file.path}`);
    const version = file.node.currentVersion;
    if (!version) throw new ClientError('NOT_FOUND', `the file has no content yet: ${file.path}`);
    return openVersion(file.key, version, this.#crypto);
  }
}

/**
 * The folder `name` in `parent` of `tree` (an account's tree or a shared folder), created if missing;
 * a concurrent creation of the same name (another device, another member) is found, not an error.
 */
export async function ensureFolderIn(
  tree: {
    findChild(parent: RemoteEntry, name: string): Promise<RemoteEntry | undefined>;
    createFolder(parent: RemoteEntry, name: string): Promise<RemoteEntry>;
  },
  parent: RemoteEntry,
  name: string,
): Promise<RemoteEntry> {
  const existing = await tree.findChild(parent, name);
  if (existing) {
    if (existing.type !== 'folder') throw new ClientError('NOT_A_FOLDER', `not a folder: ${existing.path}`);
    return existing;
  }
  try {
    return await tree.createFolder(parent, name);
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 'NAME_TAKEN')) throw error;
    const raced = await tree.findChild(parent, name);
    if (raced?.type !== 'folder') throw error;
    return raced;
  }
}
