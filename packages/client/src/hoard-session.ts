// One logged-in account: its master key (in memory only), the tree, transfers and account
// settings. Created by HoardClient (signup, login, resume, recover).

import {
  fromB64u,
  masterKeyWrappingKey,
  opaqueFinishRegistration,
  opaqueStartRegistration,
  sessionLocalKey,
  toB64u,
  wrapKey,
  type ContentOptions,
} from '@hoard/crypto';
import { ClientError } from './api-error.js';
import { Downloader, type DownloadOptions } from './downloader.js';
import type { SavedSession } from './hoard-client.js';
import type { HttpClient } from './http-client.js';
import { Payments } from './payments.js';
import { schemas, type Account, type SessionInfo } from './protocol-adapter.js';
import { LinkManager } from './sharing-links.js';
import { ShareManager } from './sharing-shares.js';
import { Tree, type RemoteEntry, type VersionEntry } from './tree.js';
import { Uploader, type UploadOptions, type UploadResult, type UploadSource } from './uploader.js';

export interface SessionInit {
  userId: string;
  email: string;
  rootNodeId: string;
  masterKey: Uint8Array;
  sessionId: string;
  expiresAt: string;
  /** The session secret (b64u) the saved session's local wrapping key derives from. */
  secret: string;
}

/** A logged-in account. */
export class HoardSession {
  readonly userId: string;
  readonly email: string;
  readonly sessionId: string;
  readonly expiresAt: string;
  readonly tree: Tree;
  /** The account's public links. */
  readonly links: LinkManager;
  /** Folders shared with other accounts, and with this one. */
  readonly shares: ShareManager;
  /** Plans, invoices and the account's plan. */
  readonly payments: Payments;
  readonly #http: HttpClient;
  readonly #init: SessionInit;
  readonly #uploader: Uploader;
  readonly #downloader: Downloader;
  readonly #serverUrl: string;

  constructor(http: HttpClient, init: SessionInit, content: ContentOptions, serverUrl: string) {
    this.#http = http;
    this.#init = init;
    this.#serverUrl = serverUrl;
    this.userId = init.userId;
    this.email = init.email;
    this.sessionId = init.sessionId;
    this.expiresAt = init.expiresAt;
    this.tree = new Tree(http, init.masterKey, init.rootNodeId, content);
    this.payments = new Payments(http);
    this.#uploader = new Uploader(http, this.tree, init.masterKey, content);
    this.#downloader = new Downloader(http, content);
    this.links = new LinkManager(http, this.tree, serverUrl, content);
    this.shares = new ShareManager(http, init.masterKey, content);
  }

  /** What to store to resume this session later (the master key wrapped, never raw). */
  async save(): Promise<SavedSession> {
    const localKey = await sessionLocalKey(fromB64u(this.#init.secret));
    return {
      formatVersion: 1,
      serverUrl: this.#serverUrl,
      email: this.email,
      userId: this.userId,
      sessionId: this.sessionId,
      token: this.#http.token ?? '',
      expiresAt: this.expiresAt,
      wrappedMasterKey: toB64u(
        await wrapKey(localKey, this.#init.masterKey, 'session-local', this.sessionId),
      ),
    };
  }

  /** The account as the server describes it (email, quota, public keys). */
  async account(): Promise<Account> {
    const { account } = await this.#http.json('GET', '/account', schemas.accountResponse);
    return account;
  }

  /** Ends this session on the server. */
  async logout(): Promise<void> {
    await this.#http.empty('POST', '/auth/logout');
  }

  /** Every session of the account (`current` marks this one). */
  async sessions(): Promise<SessionInfo[]> {
    const { sessions } = await this.#http.json('GET', '/account/sessions', schemas.sessionsResponse);
    return sessions;
  }

  /** Revokes one session of the account. */
  async revokeSession(id: string): Promise<void> {
    await this.#http.empty('DELETE', `/account/sessions/${encodeURIComponent(id)}`);
  }

  /**
   * Sets a new password: a new OPAQUE registration, the master key re-wrapped under the new
   * export key. Needs a fresh session (log in again first: REAUTH_REQUIRED otherwise); every other
   * session is revoked.
   */
  async changePassword(newPassword: string): Promise<void> {
    const start = await opaqueStartRegistration(newPassword);
    const { registrationResponse } = await this.#http.json(
      'POST',
      '/account/password/start',
      schemas.passwordStartResponse,
      { json: { registrationRequest: start.registrationRequest } },
    );
    const finish = await opaqueFinishRegistration({
      clientRegistrationState: start.clientRegistrationState,
      registrationResponse,
      password: newPassword,
    });
    const wrappedMasterKey = toB64u(
      await wrapKey(
        await masterKeyWrappingKey(finish.exportKey),
        this.#init.masterKey,
        'master-key',
        this.userId,
      ),
    );
    await this.#http.empty('POST', '/account/password/finish', {
      json: { registrationRecord: finish.registrationRecord, wrappedMasterKey },
    });
  }

  /** Deletes the account and everything in it. Needs a fresh session and the account's email. */
  async deleteAccount(confirmEmail: string): Promise<void> {
    await this.#http.empty('DELETE', '/account', {
      json: { confirmEmail: confirmEmail.trim().toLowerCase() },
    });
  }

  /** Uploads a file into `parent` (resumable with a resume store; see UploadOptions). */
  upload(parent: RemoteEntry, source: UploadSource, options: UploadOptions): Promise<UploadResult> {
    return this.#uploader.upload(parent, source, options);
  }

  /** The plaintext of a version (or a range of it) as a stream. */
  downloadVersion(version: VersionEntry, options?: DownloadOptions): Promise<ReadableStream<Uint8Array>> {
    return this.#downloader.download(version, options);
  }

  /** The plaintext of a file's current version (or a range of it) as a stream. */
  async download(file: RemoteEntry, options?: DownloadOptions): Promise<ReadableStream<Uint8Array>> {
    if (file.type !== 'file') throw new ClientError('NOT_A_FILE', `not a file: ${file.path}`);
    return this.#downloader.download(await this.tree.currentVersion(file), options);
  }
}
