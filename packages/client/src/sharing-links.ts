// Public links in the SDK. The owner's side (create, list with their URLs, change, revoke) runs in
// a logged-in session; the anonymous side (PublicLink: open a URL, list a folder link, download
// through a grant) needs no account. The link key lives only in the URL fragment and in memory; the
// server gets the key commitment, the wrapped node key and, for password links, a password proof.
// A fragment that does not match is found here through the key commitment, before anything is
// unwrapped, and never by asking the server.

import {
  fromB64u,
  generateLinkKey,
  linkKeyCommitment,
  linkPasswordHash,
  linkPasswordProof,
  linkWrappingKey,
  randomId,
  toB64u,
  unwrapKey,
  verifyLinkKeyCommitment,
  wrapKey,
  decryptAttributes,
  type ContentOptions,
  type LinkPasswordKdfOptions,
} from '@hoard/crypto';
import {
  LINK_PROOF_HEADER,
  LinkGrantResponse,
  LinkNodeResponse,
  LinkResponse,
  LinksResponse,
  PublicLinkResponse,
  ReportResponse,
  type Link,
  type PublicLink,
  type ReportReason,
} from '@hoard/protocol';
import { ClientError } from './api-error.js';
import { nodeAttributesSchema } from './attributes.js';
import { Downloader, type DownloadOptions } from './downloader.js';
import { HttpClient, type FetchLike } from './http-client.js';
import { fetchAllNodes } from './node-pages.js';
import {
  openChildNode,
  openChildren,
  openedEntry,
  openVersion,
  type FolderListing,
  type RemoteEntry,
  type Tree,
} from './tree.js';

const LINK_PATH = /^(.*)\/l\/([A-Za-z0-9_-]{22})\/?$/;

/** The parts of a link URL `https://HOST/l/<linkId>#<linkKey>`. */
export interface ParsedLinkUrl {
  /** The server's base URL (everything before `/l/`). */
  serverUrl: string;
  linkId: string;
  /** The 32-byte link key from the fragment; undefined when the URL has no (valid) fragment. */
  linkKey: Uint8Array | undefined;
}

/**
 * Parses a link URL. Throws ClientError INVALID_LINK when it is not one; a missing or malformed
 * fragment leaves `linkKey` undefined (the owner may still name the link by its URL).
 */
export function parseLinkUrl(url: string): ParsedLinkUrl {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new ClientError('INVALID_LINK', 'not a link URL (expected https://HOST/l/<id>#<key>)');
  }
  const match = LINK_PATH.exec(parsed.pathname);
  if ((parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || !match) {
    throw new ClientError('INVALID_LINK', 'not a link URL (expected https://HOST/l/<id>#<key>)');
  }
  let linkKey: Uint8Array | undefined;
  const fragment = parsed.hash.replace(/^#/, '');
  if (/^[A-Za-z0-9_-]{43}$/.test(fragment)) {
    try {
      linkKey = fromB64u(fragment);
    } catch {
      linkKey = undefined;
    }
  }
  return { serverUrl: `${parsed.origin}${match[1] ?? ''}`, linkId: match[2]!, linkKey };
}

/** `serverUrl/l/<linkId>#<linkKey base64url>`. */
export function formatLinkUrl(serverUrl: string, linkId: string, linkKey: Uint8Array): string {
  return `${serverUrl.replace(/\/+$/, '')}/l/${linkId}#${toB64u(linkKey)}`;
}

/** Options of a new link. */
export interface LinkOptions {
  /** The link then opens only with this password too. */
  password?: string;
  expiresAt?: Date;
  maxDownloads?: number;
  /** Test seam: a cheaper Argon2id (never in production). */
  passwordKdf?: LinkPasswordKdfOptions;
  /** As {@link OpenLinkOptions.passwordHash}: the Argon2id of the password computed elsewhere. */
  passwordHash?: (password: string, linkId: string) => Promise<Uint8Array>;
}

/** One of the owner's links, with its URL when the key could be recovered. */
export interface OwnedLink {
  link: Link;
  /** The full URL (with the fragment), or undefined when the node is trashed or unreadable. */
  url: string | undefined;
  /** Where the node is, or undefined when it is trashed or unreadable. */
  path: string | undefined;
}

/** The owner's side of links, for one session. */
export class LinkManager {
  constructor(
    private readonly http: HttpClient,
    private readonly tree: Tree,
    private readonly serverUrl: string,
    private readonly content: ContentOptions,
  ) {}

  /** Creates a link to `entry` and returns its URL (the only place the key is ever shown). */
  async create(entry: RemoteEntry, options: LinkOptions = {}): Promise<{ url: string; link: Link }> {
    const crypto = this.content.aead ? { aead: this.content.aead } : {};
    const linkId = randomId();
    const linkKey = generateLinkKey();
    const passwordHash =
      options.password === undefined
        ? undefined
        : options.passwordHash
          ? await options.passwordHash(options.password, linkId)
          : await linkPasswordHash(options.password, linkId, options.passwordKdf);
    const wrappingKey = await linkWrappingKey(linkKey, passwordHash);
    const body = {
      id: linkId,
      nodeId: entry.id,
      wrappedKey: toB64u(await wrapKey(wrappingKey, entry.key, 'link-node-key', linkId, crypto)),
      ownerWrappedLinkKey: toB64u(await wrapKey(entry.key, linkKey, 'link-key', linkId, crypto)),
      keyCommitment: toB64u(await linkKeyCommitment(linkKey)),
      ...(passwordHash ? { passwordProof: toB64u(await linkPasswordProof(wrappingKey)) } : {}),
      ...(options.expiresAt ? { expiresAt: options.expiresAt.toISOString() } : {}),
      ...(options.maxDownloads !== undefined ? { maxDownloads: options.maxDownloads } : {}),
    };
    const { link } = await this.http.json('POST', '/links', LinkResponse, { json: body });
    return { url: formatLinkUrl(this.serverUrl, linkId, linkKey), link };
  }

  /** Every link of the account, newest first, with URLs rebuilt from the owner's wrapped keys. */
  async list(): Promise<OwnedLink[]> {
    const { links } = await this.http.json('GET', '/links', LinksResponse);
    const cache = new Map<string, RemoteEntry>();
    const crypto = this.content.aead ? { aead: this.content.aead } : {};
    const out: OwnedLink[] = [];
    for (const link of links) {
      let url: string | undefined;
      let path: string | undefined;
      if (link.node) {
        try {
          const entry = await this.tree.openByAncestry(link.node, cache);
          path = entry.path;
          const linkKey = await unwrapKey(
            entry.key,
            fromB64u(link.ownerWrappedLinkKey),
            'link-key',
            link.id,
            crypto,
          );
          url = formatLinkUrl(this.serverUrl, link.id, linkKey);
        } catch {
          // unreadable: shown without URL and path
        }
      }
      out.push({ link, url, path });
    }
    return out;
  }

  /** Changes the expiry and/or the cap (null removes one). */
  async update(
    linkId: string,
    changes: { expiresAt?: Date | null; maxDownloads?: number | null },
  ): Promise<Link> {
    const json: Record<string, unknown> = {};
    if (changes.expiresAt !== undefined) json.expiresAt = changes.expiresAt?.toISOString() ?? null;
    if (changes.maxDownloads !== undefined) json.maxDownloads = changes.maxDownloads;
    const { link } = await this.http.json('PATCH', `/links/${encodeURIComponent(linkId)}`, LinkResponse, {
      json,
    });
    return link;
  }

  /** Revokes a link (idempotent). */
  async revoke(linkId: string): Promise<void> {
    await this.http.empty('DELETE', `/links/${encodeURIComponent(linkId)}`);
  }
}

export interface OpenLinkOptions {
  fetch?: FetchLike;
  content?: ContentOptions;
  /** The password, asked only when the link needs one. */
  password?: () => Promise<string>;
  /** Test seam: a cheaper Argon2id, matching the one the link was made with. */
  passwordKdf?: LinkPasswordKdfOptions;
  /**
   * Computes `linkPasswordHash(password, linkId)` (the Argon2id, about a second of work) somewhere
   * else, e.g. in a Web Worker so that a page stays responsive; by default it runs here.
   */
  passwordHash?: (password: string, linkId: string) => Promise<Uint8Array>;
}

/**
 * A link opened without an account: its facts, the linked node (file or folder) decrypted with
 * the fragment key (and password), folder listings inside it and downloads through grants.
 *
 * @example
 * const link = await PublicLinkSession.open('https://hoard.example/l/AbC...#xyz...');
 * const stream = await link.download(link.root, { grant: await link.grant() });
 */
export class PublicLinkSession {
  private constructor(
    readonly info: PublicLink,
    readonly root: RemoteEntry,
    readonly serverUrl: string,
    private readonly http: HttpClient,
    private readonly headers: Record<string, string>,
    private readonly content: ContentOptions,
  ) {}

  /** Opens a link URL; throws WRONG_LINK_KEY when the fragment does not match the link. */
  static async open(url: string, options: OpenLinkOptions = {}): Promise<PublicLinkSession> {
    const { serverUrl, linkId, linkKey } = parseLinkUrl(url);
    if (!linkKey) {
      throw new ClientError('INVALID_LINK', 'the link has no key after # (copy the whole URL)');
    }
    const http = new HttpClient({ baseUrl: serverUrl, ...(options.fetch ? { fetch: options.fetch } : {}) });
    const { link: info } = await http.json('GET', `/links/${linkId}/public`, PublicLinkResponse);
    if (info.id !== linkId) throw new ClientError('UNREADABLE', 'the server answered for another link');
    if (!(await verifyLinkKeyCommitment(linkKey, fromB64u(info.keyCommitment)))) {
      throw new ClientError(
        'WRONG_LINK_KEY',
        'the key after # does not match this link (the URL was cut or changed): copy the whole URL again',
      );
    }
    const content = options.content ?? {};
    const crypto = content.aead ? { aead: content.aead } : {};
    const headers: Record<string, string> = {};
    let wrappingKey = linkKey;
    if (info.passwordRequired) {
      if (!options.password) throw new ClientError('LINK_PASSWORD_REQUIRED', 'this link needs its password');
      const password = await options.password();
      const passwordHash = options.passwordHash
        ? await options.passwordHash(password, linkId)
        : await linkPasswordHash(password, linkId, options.passwordKdf);
      wrappingKey = await linkWrappingKey(linkKey, passwordHash);
      headers[LINK_PROOF_HEADER] = toB64u(await linkPasswordProof(wrappingKey));
    }
    const { node, wrappedKey } = await http.json('GET', `/links/${linkId}/node`, LinkNodeResponse, {
      headers,
    });
    if (node.type !== info.type) throw new ClientError('UNREADABLE', 'the server answered another node');
    const key = await unwrapKey(wrappingKey, fromB64u(wrappedKey), 'link-node-key', linkId, crypto);
    const attrs = nodeAttributesSchema.parse(
      await decryptAttributes(key, 'node', node.id, fromB64u(node.encryptedAttrs), crypto),
    );
    const root = await openedEntry(node, key, attrs, '/', crypto);
    return new PublicLinkSession(info, root, serverUrl, http, headers, content);
  }

  get linkId(): string {
    return this.info.id;
  }

  /** The children of a folder of the link, sorted by name; unreadable ones are counted, not shown. */
  async list(folder: RemoteEntry): Promise<FolderListing> {
    if (folder.type !== 'folder') throw new ClientError('NOT_A_FOLDER', `not a folder: ${folder.path}`);
    const nodes = await fetchAllNodes(
      this.http,
      `/links/${this.linkId}/nodes/${folder.id}/children`,
      this.headers,
    );
    const crypto = this.content.aead ? { aead: this.content.aead } : {};
    return openChildren(nodes, (node) => openChildNode(node, folder, crypto));
  }

  /** Starts one download (counted once against the link's cap): a grant for any number of ranges. */
  async grant(): Promise<string> {
    const { grant } = await this.http.json('POST', `/links/${this.linkId}/grants`, LinkGrantResponse, {
      headers: this.headers,
    });
    return grant.id;
  }

  /** The plaintext of a file of the link, read through `grant`. */
  async download(
    file: RemoteEntry,
    options: DownloadOptions & { grant: string },
  ): Promise<ReadableStream<Uint8Array>> {
    if (file.type !== 'file' || !file.node.currentVersion) {
      throw new ClientError('NOT_A_FILE', `not a file: ${file.path}`);
    }
    const crypto = this.content.aead ? { aead: this.content.aead } : {};
    const version = await openVersion(file.key, file.node.currentVersion, crypto);
    const downloader = new Downloader(
      this.http,
      this.content,
      (versionId) => `/links/${this.linkId}/grants/${options.grant}/versions/${versionId}/content`,
    );
    return downloader.download(version, options);
  }
}

/** Reports a link to the server's operator (no account needed). */
export async function reportLink(
  url: string,
  report: { reason: ReportReason; note?: string },
  options: { fetch?: FetchLike } = {},
): Promise<{ id: string }> {
  const { serverUrl, linkId } = parseLinkUrl(url);
  const http = new HttpClient({ baseUrl: serverUrl, ...(options.fetch ? { fetch: options.fetch } : {}) });
  const { report: stored } = await http.json('POST', `/links/${linkId}/reports`, ReportResponse, {
    json: { reason: report.reason, ...(report.note ? { note: report.note } : {}) },
  });
  return { id: stored.id };
}
