// Folders shared between accounts, in the SDK. The owner looks up the member's published keys
// (their signature checked here; pinning them is the caller's policy: the CLI pins on first use),
// seals the folder key to the member with HPKE and signs the share; the member verifies the
// owner's signature before opening the key, then reads (and with write access changes) the shared
// subtree through the share's routes. Keys never leave this process.

import {
  fromB64u,
  openShareKey,
  randomId,
  safetyNumber,
  sealShareKey,
  toB64u,
  unwrapKey,
  verifyPublicKeys,
  nameHash,
  decryptAttributes,
  type ContentOptions,
  type ShareAccess,
} from '@hoard/crypto';
import {
  NodeResponse,
  PublishedKeysResponse,
  ShareResponse,
  SharesResponse,
  type Node,
  type PublishedKeys,
  type Share,
} from '@hoard/protocol';
import { ClientError } from './api-error.js';
import { nodeAttributesSchema } from './attributes.js';
import { Downloader, type DownloadOptions } from './downloader.js';
import type { HttpClient } from './http-client.js';
import { fetchAllNodes, fetchChildByNameHash } from './node-pages.js';
import { schemas } from './protocol-adapter.js';
import { joinRemotePath, splitRemotePath, validateName } from './remote-path.js';
import {
  ensureFolderIn,
  moveBody,
  newFolderBody,
  openChildNode,
  openChildren,
  openVersion,
  openedEntry,
  type FolderListing,
  type RemoteEntry,
  renameBody,
  type VersionEntry,
} from './tree.js';
import { Uploader, type UploadOptions, type UploadResult, type UploadSource } from './uploader.js';

/** An account's public keys, their signature checked. */
export interface VerifiedKeys {
  userId: string;
  email: string;
  encryptionPublicKey: Uint8Array;
  signingPublicKey: Uint8Array;
}

/** Checks the signature binding an account's two public keys; throws UNREADABLE when it fails. */
export async function verifyPublishedKeys(keys: PublishedKeys): Promise<VerifiedKeys> {
  const encryptionPublicKey = fromB64u(keys.publicEncryptionKey);
  const signingPublicKey = fromB64u(keys.publicSigningKey);
  if (!(await verifyPublicKeys(encryptionPublicKey, signingPublicKey, fromB64u(keys.publicKeysSignature)))) {
    throw new ClientError('UNREADABLE', `the published keys of ${keys.email} are not validly signed`);
  }
  return { userId: keys.userId, email: keys.email, encryptionPublicKey, signingPublicKey };
}

/** The logged-in account's own key pairs (private halves unwrapped by the master key). */
export interface OwnKeys {
  userId: string;
  encryptionPublicKey: Uint8Array;
  encryptionPrivateKey: Uint8Array;
  signingPublicKey: Uint8Array;
  signingPrivateKey: Uint8Array;
}

/** The sharing side of a session. */
export class ShareManager {
  #own: Promise<OwnKeys> | undefined;

  constructor(
    private readonly http: HttpClient,
    private readonly masterKey: Uint8Array,
    private readonly content: ContentOptions,
  ) {}

  /** This account's key pairs (fetched and unwrapped once). */
  ownKeys(): Promise<OwnKeys> {
    this.#own ??= (async () => {
      const crypto = this.content.aead ? { aead: this.content.aead } : {};
      const { account } = await this.http.json('GET', '/account', schemas.accountResponse);
      return {
        userId: account.userId,
        encryptionPublicKey: fromB64u(account.keys.publicEncryptionKey),
        signingPublicKey: fromB64u(account.keys.publicSigningKey),
        encryptionPrivateKey: await unwrapKey(
          this.masterKey,
          fromB64u(account.keys.wrappedEncryptionPrivateKey),
          'encryption-private-key',
          account.userId,
          crypto,
        ),
        signingPrivateKey: await unwrapKey(
          this.masterKey,
          fromB64u(account.keys.wrappedSigningPrivateKey),
          'signing-private-key',
          account.userId,
          crypto,
        ),
      };
    })();
    return this.#own;
  }

  /** The safety number of this account and `other` (both sides compute the same digits). */
  async safetyNumberWith(other: VerifiedKeys): Promise<string> {
    const own = await this.ownKeys();
    return safetyNumber(
      { encryptionPublicKey: own.encryptionPublicKey, signingPublicKey: own.signingPublicKey },
      { encryptionPublicKey: other.encryptionPublicKey, signingPublicKey: other.signingPublicKey },
    );
  }

  /** The published keys of the account with `email`, their signature checked (NOT_FOUND: no account). */
  async lookup(email: string): Promise<VerifiedKeys> {
    const { account } = await this.http.json('POST', '/keys/lookup', PublishedKeysResponse, {
      json: { email: email.trim().toLowerCase() },
    });
    return verifyPublishedKeys(account);
  }

  /** Invites `member` to `folder`: the folder key sealed to the member and the share signed. */
  async share(folder: RemoteEntry, member: VerifiedKeys, access: ShareAccess): Promise<Share> {
    if (folder.type !== 'folder')
      throw new ClientError('NOT_A_FOLDER', `only folders can be shared: ${folder.path}`);
    const own = await this.ownKeys();
    const shareId = randomId();
    const { sealed, signature } = await sealShareKey(
      folder.key,
      { shareId, folderId: folder.id, ownerUserId: own.userId, memberUserId: member.userId, access },
      member.encryptionPublicKey,
      own.signingPrivateKey,
    );
    const { share } = await this.http.json('POST', '/shares', ShareResponse, {
      json: {
        id: shareId,
        folderId: folder.id,
        memberUserId: member.userId,
        access,
        sealedKey: toB64u(sealed),
        signature: toB64u(signature),
      },
    });
    return share;
  }

  /** Outgoing shares (this account's folders) and incoming ones (invitations included). */
  list(): Promise<{ outgoing: Share[]; incoming: Share[] }> {
    return this.http.json('GET', '/shares', SharesResponse);
  }

  async accept(shareId: string): Promise<Share> {
    return (await this.http.json('POST', `/shares/${encodeURIComponent(shareId)}/accept`, ShareResponse))
      .share;
  }

  async decline(shareId: string): Promise<Share> {
    return (await this.http.json('POST', `/shares/${encodeURIComponent(shareId)}/decline`, ShareResponse))
      .share;
  }

  /** The owner removes the member, or the member leaves. */
  async remove(shareId: string): Promise<void> {
    await this.http.empty('DELETE', `/shares/${encodeURIComponent(shareId)}`);
  }

  /**
   * Checks an incoming share (pending or accepted) before trusting it: the owner's signature over
   * it, and that the sealed key opens for this account. Throws DecryptionError otherwise.
   */
  async verify(share: Share, ownerKeys: VerifiedKeys): Promise<void> {
    await this.#folderKey(share, ownerKeys);
  }

  async #folderKey(share: Share, ownerKeys: VerifiedKeys): Promise<Uint8Array> {
    const own = await this.ownKeys();
    if (share.member.userId !== own.userId)
      throw new ClientError('UNREADABLE', 'this share is not to this account');
    if (share.owner.userId !== ownerKeys.userId)
      throw new ClientError('UNREADABLE', 'the share names another owner');
    return openShareKey(
      fromB64u(share.sealedKey),
      fromB64u(share.signature),
      {
        shareId: share.id,
        folderId: share.folderId,
        ownerUserId: share.owner.userId,
        memberUserId: own.userId,
        access: share.access,
      },
      { encryptionPrivateKey: own.encryptionPrivateKey, encryptionPublicKey: own.encryptionPublicKey },
      ownerKeys.signingPublicKey,
    );
  }

  /**
   * Opens an accepted incoming share: checks the owner's published keys and signature over the
   * share, opens the folder key, decrypts the shared folder. `ownerKeys` are the owner's keys as the
   * caller trusts them (pinned); they must match the share's.
   */
  async open(share: Share, ownerKeys: VerifiedKeys): Promise<SharedFolder> {
    const folderKey = await this.#folderKey(share, ownerKeys);
    const { node } = await this.http.json('GET', `/shares/${share.id}/node`, NodeResponse);
    if (node.id !== share.folderId) throw new ClientError('UNREADABLE', 'the server answered another folder');
    const crypto = this.content.aead ? { aead: this.content.aead } : {};
    const attrs = nodeAttributesSchema.parse(
      await decryptAttributes(folderKey, 'node', node.id, fromB64u(node.encryptedAttrs), crypto),
    );
    const root = await openedEntry(node, folderKey, attrs, '/', crypto);
    return new SharedFolder(this.http, share, root, this.masterKey, this.content);
  }
}

/** A folder shared with this account, opened: its subtree read and (with write access) changed. */
export class SharedFolder {
  readonly #prefix: string;
  readonly #crypto: { aead?: NonNullable<ContentOptions['aead']> };

  constructor(
    private readonly http: HttpClient,
    readonly share: Share,
    /** The shared folder; its path is `/<name>`. */
    readonly root: RemoteEntry,
    private readonly masterKey: Uint8Array,
    private readonly content: ContentOptions,
  ) {
    this.#prefix = `/shares/${share.id}`;
    this.#crypto = content.aead ? { aead: content.aead } : {};
  }

  open(node: Node, parent: { id: string; key: Uint8Array; path: string }): Promise<RemoteEntry> {
    return openChildNode(node, parent, this.#crypto);
  }

  /** The children route of `folder` inside the share. */
  #childrenPath(folder: RemoteEntry): string {
    if (folder.type !== 'folder') throw new ClientError('NOT_A_FOLDER', `not a folder: ${folder.path}`);
    return `${this.#prefix}/nodes/${folder.id}/children`;
  }

  /** The children of a folder of the share, sorted by name; unreadable ones counted, not shown. */
  async list(folder: RemoteEntry): Promise<FolderListing> {
    const nodes = await fetchAllNodes(this.http, this.#childrenPath(folder));
    return openChildren(nodes, (node) => this.open(node, folder));
  }

  async findChild(folder: RemoteEntry, name: string): Promise<RemoteEntry | undefined> {
    const path = this.#childrenPath(folder);
    const wanted = await nameHash(folder.key, validateName(name));
    const node = await fetchChildByNameHash(this.http, path, wanted);
    return node ? this.open(node, folder) : undefined;
  }

  /** The entry at `path` below the shared folder (`/` or '' is the shared folder itself). */
  async get(path: string): Promise<RemoteEntry> {
    let current = this.root;
    for (const name of splitRemotePath(path)) {
      const child = current.type === 'folder' ? await this.findChild(current, name) : undefined;
      if (!child) {
        throw new ClientError(
          'NOT_FOUND',
          `no such file or folder in ${this.root.name}: ${joinRemotePath(splitRemotePath(path))}`,
        );
      }
      current = child;
    }
    return current;
  }

  /**
   * Where this share's routes live: a version's ciphertext is at `<prefix>/versions/<id>/content`,
   * read with the member's session (a service worker streaming a download builds it from this).
   */
  get routePrefix(): string {
    return this.#prefix;
  }

  /** The current version of a file of the share (its key included), as listed. */
  async currentVersion(file: RemoteEntry): Promise<VersionEntry> {
    if (file.type !== 'file' || !file.node.currentVersion)
      throw new ClientError('NOT_A_FILE', `not a file: ${file.path}`);
    return openVersion(file.key, file.node.currentVersion, this.#crypto);
  }

  async download(file: RemoteEntry, options?: DownloadOptions): Promise<ReadableStream<Uint8Array>> {
    const version = await this.currentVersion(file);
    return new Downloader(this.http, this.content, (id) => `${this.#prefix}/versions/${id}/content`).download(
      version,
      options,
    );
  }

  /** Creates a folder (write access). */
  async createFolder(parent: RemoteEntry, name: string): Promise<RemoteEntry> {
    const { node } = await this.http.json('POST', `${this.#prefix}/nodes`, NodeResponse, {
      json: await newFolderBody(parent, name, this.#crypto),
    });
    return this.open(node, parent);
  }

  /** The folder `name` in `parent`, created if missing (write access). */
  ensureFolder(parent: RemoteEntry, name: string): Promise<RemoteEntry> {
    return ensureFolderIn(this, parent, name);
  }

  /** Uploads a file into `parent` (write access; the owner's quota pays). */
  upload(parent: RemoteEntry, source: UploadSource, options: UploadOptions): Promise<UploadResult> {
    return new Uploader(this.http, this, this.masterKey, this.content, this.#prefix).upload(
      parent,
      source,
      options,
    );
  }

  /** Moves `entry` into `newParent` (inside the shared folder), optionally renaming it (write access). */
  async move(entry: RemoteEntry, newParent: RemoteEntry, newName?: string): Promise<RemoteEntry> {
    const { node } = await this.http.json('PATCH', `${this.#prefix}/nodes/${entry.id}`, NodeResponse, {
      json: await moveBody(entry, newParent, newName, this.#crypto),
    });
    return this.open(node, newParent);
  }

  /** Renames `entry` in its folder `parent` (write access). */
  async rename(entry: RemoteEntry, parent: RemoteEntry, newName: string): Promise<RemoteEntry> {
    const { node } = await this.http.json('PATCH', `${this.#prefix}/nodes/${entry.id}`, NodeResponse, {
      json: await renameBody(entry, parent, newName, this.#crypto),
    });
    return this.open(node, parent);
  }

  /** Moves an entry to the owner's trash (write access). */
  async trash(entry: RemoteEntry): Promise<void> {
    await this.http.json('POST', `${this.#prefix}/nodes/${entry.id}/trash`, NodeResponse, {
      json: { revision: entry.node.revision },
    });
  }
}
