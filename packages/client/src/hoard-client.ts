// Accounts: sign-up, login, resuming a saved session, recovery. The password never leaves this
// process (OPAQUE); the master key is random, wrapped under a key from OPAQUE's export key (and,
// for recovery, under a key from the recovery words), and exists unwrapped only in memory. A saved
// session holds the master key wrapped under a key derived from the session's server-held secret,
// so a stolen session file is useless once the session is revoked or expires.

import {
  accountKeysMatch,
  fromB64u,
  generateAccountKeyPairs,
  generateRecoveryKey,
  LoginFailedError,
  masterKeyWrappingKey,
  opaqueFinishLogin,
  opaqueFinishRegistration,
  opaqueStartLogin,
  opaqueStartRegistration,
  randomId,
  randomKey,
  recoveryAuthKey,
  recoveryKeyToWords,
  recoveryWrappingKey,
  sessionLocalKey,
  signPublicKeys,
  toB64u,
  unwrapKey,
  wordsToRecoveryKey,
  wrapKey,
  type ContentOptions,
} from '@hoard/crypto';
import { ApiError, ClientError } from './api-error.js';
import { HttpClient, type FetchLike } from './http-client.js';
import { HoardSession } from './hoard-session.js';
import { schemas, type Account } from './protocol-adapter.js';
import { Payments, type PlansResponse } from './payments.js';

export interface HoardClientOptions {
  /** Base URL of the Hoard server, e.g. `http://localhost:8080`. */
  serverUrl: string;
  /** Defaults to the global fetch. */
  fetch?: FetchLike;
  /** Content encryption options (e.g. a faster AEAD backend). */
  content?: ContentOptions;
}

/** What a client keeps to resume a session later without the password. Holds no raw key. */
export interface SavedSession {
  formatVersion: 1;
  serverUrl: string;
  email: string;
  userId: string;
  sessionId: string;
  token: string;
  expiresAt: string;
  /** The master key wrapped under sessionLocalKey(session secret), purpose 'session-local'. */
  wrappedMasterKey: string;
}

/** Normalizes an email the way the server does (trimmed, lowercased). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Refuses a session whose account record the server altered: the private keys unwrapped with the
 * master key must belong to the published public keys, signed by the account itself. Without this,
 * a server could publish keys of its own and receive what other accounts share with this one.
 */
async function checkPublishedKeys(account: Account, masterKey: Uint8Array): Promise<void> {
  let matches: boolean;
  try {
    const encryptionPrivateKey = await unwrapKey(
      masterKey,
      fromB64u(account.keys.wrappedEncryptionPrivateKey),
      'encryption-private-key',
      account.userId,
    );
    const signingPrivateKey = await unwrapKey(
      masterKey,
      fromB64u(account.keys.wrappedSigningPrivateKey),
      'signing-private-key',
      account.userId,
    );
    matches = await accountKeysMatch(encryptionPrivateKey, signingPrivateKey, {
      encryptionPublicKey: fromB64u(account.keys.publicEncryptionKey),
      signingPublicKey: fromB64u(account.keys.publicSigningKey),
      signature: fromB64u(account.keys.publicKeysSignature),
    });
  } catch {
    matches = false;
  }
  if (!matches) {
    throw new ClientError(
      'UNREADABLE',
      "the server's copy of this account's keys does not match the account's own: refusing to use it",
    );
  }
}

/**
 * Entry point of the SDK: creates accounts and opens sessions.
 *
 * @example
 * const client = new HoardClient({ serverUrl: 'http://localhost:8080' });
 * const session = await client.login('ada@example.com', 'correct horse battery staple');
 * const { entries } = await session.tree.list(await session.tree.getFolder('/photos'));
 */
export class HoardClient {
  readonly serverUrl: string;
  readonly #options: HoardClientOptions;

  constructor(options: HoardClientOptions) {
    this.serverUrl = options.serverUrl.replace(/\/+$/, '');
    this.#options = options;
  }

  #http(token?: string): HttpClient {
    return new HttpClient({
      baseUrl: this.serverUrl,
      ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
      token,
    });
  }

  /** The plans on offer (no account needed). */
  plans(): Promise<PlansResponse> {
    return new Payments(this.#http()).plans();
  }

  #session(http: HttpClient, init: ConstructorParameters<typeof HoardSession>[1]): HoardSession {
    return new HoardSession(http, init, this.#options.content ?? {}, this.serverUrl);
  }

  /**
   * After a login or a recovery: authenticates `http` with the new session, reads the account
   * (which must be `userId`'s), and opens the session with the master key `masterKeyOf` yields.
   */
  async #openAccountSession(
    http: HttpClient,
    userId: string,
    session: { token: string; id: string; expiresAt: string; secret: string },
    masterKeyOf: (account: Account) => Promise<Uint8Array>,
  ): Promise<HoardSession> {
    http.token = session.token;
    const { account } = await http.json('GET', '/account', schemas.accountResponse);
    if (account.userId !== userId) throw new ApiError('INTERNAL', 500, 'the server mixed up accounts');
    const masterKey = await masterKeyOf(account);
    await checkPublishedKeys(account, masterKey);
    return this.#session(http, {
      userId: account.userId,
      email: account.email,
      rootNodeId: account.rootNodeId,
      masterKey,
      sessionId: session.id,
      expiresAt: session.expiresAt,
      secret: session.secret,
    });
  }

  /**
   * Creates an account. Returns the new session and the 24 recovery words: they are shown once
   * and are the only way back into the account if the password is forgotten.
   */
  async signup(email: string, password: string): Promise<{ session: HoardSession; recoveryWords: string[] }> {
    const normalized = normalizeEmail(email);
    const http = this.#http();
    const userId = randomId();
    const masterKey = randomKey();
    const rootNodeId = randomId();
    const rootKey = randomKey();
    const recoveryKey = generateRecoveryKey();
    const recoveryWords = recoveryKeyToWords(recoveryKey);
    const pairs = generateAccountKeyPairs();

    const start = await opaqueStartRegistration(password);
    const { registrationResponse } = await http.json(
      'POST',
      '/auth/signup/start',
      schemas.signupStartResponse,
      {
        json: { email: normalized, registrationRequest: start.registrationRequest },
      },
    );
    const finish = await opaqueFinishRegistration({
      clientRegistrationState: start.clientRegistrationState,
      registrationResponse,
      password,
    });
    const keys = {
      wrappedMasterKey: toB64u(
        await wrapKey(await masterKeyWrappingKey(finish.exportKey), masterKey, 'master-key', userId),
      ),
      wrappedMasterKeyRecovery: toB64u(
        await wrapKey(await recoveryWrappingKey(recoveryKey), masterKey, 'master-key-recovery', userId),
      ),
      recoveryAuthKey: toB64u(await recoveryAuthKey(recoveryKey)),
      rootNodeId,
      rootWrappedKey: toB64u(await wrapKey(masterKey, rootKey, 'node-key', rootNodeId)),
      publicEncryptionKey: toB64u(pairs.encryption.publicKey),
      publicSigningKey: toB64u(pairs.signing.publicKey),
      wrappedEncryptionPrivateKey: toB64u(
        await wrapKey(masterKey, pairs.encryption.privateKey, 'encryption-private-key', userId),
      ),
      wrappedSigningPrivateKey: toB64u(
        await wrapKey(masterKey, pairs.signing.privateKey, 'signing-private-key', userId),
      ),
      publicKeysSignature: toB64u(
        await signPublicKeys(pairs.signing.privateKey, pairs.encryption.publicKey, pairs.signing.publicKey),
      ),
    };
    const result = await http.json('POST', '/auth/signup/finish', schemas.signupFinishResponse, {
      json: { email: normalized, userId, registrationRecord: finish.registrationRecord, keys },
    });
    if (result.userId !== userId) throw new ApiError('INTERNAL', 500, 'the server changed the user id');
    http.token = result.session.token;
    const session = this.#session(http, {
      userId,
      email: normalized,
      rootNodeId,
      masterKey,
      sessionId: result.session.id,
      expiresAt: result.session.expiresAt,
      secret: result.session.secret,
    });
    return { session, recoveryWords };
  }

  /** Logs in with email and password (OPAQUE); throws ApiError LOGIN_FAILED on a wrong password. */
  async login(email: string, password: string): Promise<HoardSession> {
    const normalized = normalizeEmail(email);
    const http = this.#http();
    const start = await opaqueStartLogin(password);
    const { loginId, loginResponse } = await http.json(
      'POST',
      '/auth/login/start',
      schemas.loginStartResponse,
      {
        json: { email: normalized, startLoginRequest: start.startLoginRequest },
      },
    );
    let finish: Awaited<ReturnType<typeof opaqueFinishLogin>>;
    try {
      finish = await opaqueFinishLogin({ clientLoginState: start.clientLoginState, loginResponse, password });
    } catch (error) {
      if (error instanceof LoginFailedError)
        throw new ApiError('LOGIN_FAILED', 401, 'wrong email or password');
      throw error;
    }
    const result = await http.json('POST', '/auth/login/finish', schemas.loginFinishResponse, {
      json: { loginId, finishLoginRequest: finish.finishLoginRequest },
    });
    return this.#openAccountSession(http, result.userId, result.session, async (account) =>
      unwrapKey(
        await masterKeyWrappingKey(finish.exportKey),
        fromB64u(account.keys.wrappedMasterKey),
        'master-key',
        account.userId,
      ),
    );
  }

  /**
   * Reopens a saved session: asks the server for the session secret (it answers only while the
   * session is valid) and unwraps the master key with it. Throws ApiError UNAUTHENTICATED when the
   * session was revoked or expired.
   */
  async resume(saved: SavedSession): Promise<HoardSession> {
    const http = this.#http(saved.token);
    const { session } = await http.json('GET', '/auth/session', schemas.sessionResponse);
    const masterKey = await unwrapKey(
      await sessionLocalKey(fromB64u(session.secret)),
      fromB64u(saved.wrappedMasterKey),
      'session-local',
      session.id,
    );
    const { account } = await http.json('GET', '/account', schemas.accountResponse);
    if (account.userId !== saved.userId) throw new ApiError('INTERNAL', 500, 'the server mixed up accounts');
    await checkPublishedKeys(account, masterKey);
    return this.#session(http, {
      userId: account.userId,
      email: account.email,
      rootNodeId: account.rootNodeId,
      masterKey,
      sessionId: session.id,
      expiresAt: session.expiresAt,
      secret: session.secret,
    });
  }

  /**
   * Recovers an account with its recovery words and sets a new password. Every other session of
   * the account is revoked.
   */
  async recover(email: string, words: string[], newPassword: string): Promise<HoardSession> {
    const normalized = normalizeEmail(email);
    const http = this.#http();
    const recoveryKey = wordsToRecoveryKey(words);
    const start = await opaqueStartRegistration(newPassword);
    const started = await http.json('POST', '/auth/recover/start', schemas.recoverStartResponse, {
      json: {
        email: normalized,
        recoveryAuthKey: toB64u(await recoveryAuthKey(recoveryKey)),
        registrationRequest: start.registrationRequest,
      },
    });
    const masterKey = await unwrapKey(
      await recoveryWrappingKey(recoveryKey),
      fromB64u(started.wrappedMasterKeyRecovery),
      'master-key-recovery',
      started.userId,
    );
    const finish = await opaqueFinishRegistration({
      clientRegistrationState: start.clientRegistrationState,
      registrationResponse: started.registrationResponse,
      password: newPassword,
    });
    const wrappedMasterKey = toB64u(
      await wrapKey(await masterKeyWrappingKey(finish.exportKey), masterKey, 'master-key', started.userId),
    );
    const result = await http.json('POST', '/auth/recover/finish', schemas.recoverFinishResponse, {
      json: {
        recoveryId: started.recoveryId,
        registrationRecord: finish.registrationRecord,
        wrappedMasterKey,
      },
    });
    return this.#openAccountSession(http, started.userId, result.session, () => Promise.resolve(masterKey));
  }
}
