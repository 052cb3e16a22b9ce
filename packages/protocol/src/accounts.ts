// Schemas of the account routes: OPAQUE sign-up, login and recovery, sessions, password change,
// account deletion. Every binary field is base64url; the server never sees a password or a key in
// the clear, only OPAQUE messages and keys wrapped on the client.
import { z } from 'zod';
import {
  B64u32,
  Email,
  LoginId,
  NodeId,
  OpaqueMessage,
  PublicKeyMaterial,
  RecoveryId,
  SessionId,
  SizeBytes,
  Timestamp,
  UserId,
  WrappedKey,
} from './ids.js';

/** The keys an account stores at sign-up, all wrapped or public (base64url). */
export const AccountKeys = z.object({
  /** The master key wrapped under the key derived from OPAQUE's export key. */
  wrappedMasterKey: WrappedKey,
  /** The master key wrapped under the recovery key. */
  wrappedMasterKeyRecovery: WrappedKey,
  /** Proof of the recovery key (the server keeps only its SHA-256). */
  recoveryAuthKey: B64u32,
  rootNodeId: NodeId,
  /** The root folder key wrapped under the master key. */
  rootWrappedKey: WrappedKey,
  publicEncryptionKey: PublicKeyMaterial,
  publicSigningKey: PublicKeyMaterial,
  wrappedEncryptionPrivateKey: WrappedKey,
  wrappedSigningPrivateKey: WrappedKey,
  publicKeysSignature: PublicKeyMaterial,
});
export type AccountKeys = z.infer<typeof AccountKeys>;

/** A new session. `token` goes in `Authorization: Bearer`; `secret` protects the CLI's local key copy. */
export const Session = z.object({
  id: SessionId,
  token: B64u32,
  expiresAt: Timestamp,
  secret: B64u32,
});
export type Session = z.infer<typeof Session>;

/** Body of `POST /auth/signup/start`: the e-mail address and OPAQUE registration request. */
export const SignupStartRequest = z.object({ email: Email, registrationRequest: OpaqueMessage });
export type SignupStartRequest = z.infer<typeof SignupStartRequest>;
/** Answer of `POST /auth/signup/start`: the OPAQUE registration response. */
export const SignupStartResponse = z.object({ registrationResponse: OpaqueMessage });
export type SignupStartResponse = z.infer<typeof SignupStartResponse>;

/** Body of `POST /auth/signup/finish`: the client-chosen user id, the OPAQUE record and the wrapped keys. */
export const SignupFinishRequest = z.object({
  email: Email,
  userId: UserId,
  registrationRecord: OpaqueMessage,
  keys: AccountKeys,
});
export type SignupFinishRequest = z.infer<typeof SignupFinishRequest>;
/** Answer of sign-up, login and recovery: the account and its new session. */
export const AuthResponse = z.object({ userId: UserId, session: Session });
export type AuthResponse = z.infer<typeof AuthResponse>;

/** Body of `POST /auth/login/start`. */
export const LoginStartRequest = z.object({ email: Email, startLoginRequest: OpaqueMessage });
export type LoginStartRequest = z.infer<typeof LoginStartRequest>;
/** Answer of `POST /auth/login/start` (the same shape for an unknown e-mail). */
export const LoginStartResponse = z.object({ loginId: LoginId, loginResponse: OpaqueMessage });
export type LoginStartResponse = z.infer<typeof LoginStartResponse>;
/** Body of `POST /auth/login/finish`. */
export const LoginFinishRequest = z.object({ loginId: LoginId, finishLoginRequest: OpaqueMessage });
export type LoginFinishRequest = z.infer<typeof LoginFinishRequest>;

/** The current session as the CLI needs it to unwrap its local copy of the master key. */
export const CurrentSessionResponse = z.object({
  session: z.object({ id: SessionId, expiresAt: Timestamp, secret: B64u32 }),
});
export type CurrentSessionResponse = z.infer<typeof CurrentSessionResponse>;

/** Body of `POST /auth/recover/start`: proof of the recovery key and a new OPAQUE registration. */
export const RecoverStartRequest = z.object({
  email: Email,
  recoveryAuthKey: B64u32,
  registrationRequest: OpaqueMessage,
});
export type RecoverStartRequest = z.infer<typeof RecoverStartRequest>;
/** Answer of `POST /auth/recover/start`: the master key wrapped under the recovery key, to re-wrap. */
export const RecoverStartResponse = z.object({
  recoveryId: RecoveryId,
  userId: UserId,
  registrationResponse: OpaqueMessage,
  wrappedMasterKeyRecovery: WrappedKey,
});
export type RecoverStartResponse = z.infer<typeof RecoverStartResponse>;
/** Body of `POST /auth/recover/finish`: the new OPAQUE record and the re-wrapped master key. */
export const RecoverFinishRequest = z.object({
  recoveryId: RecoveryId,
  registrationRecord: OpaqueMessage,
  wrappedMasterKey: WrappedKey,
});
export type RecoverFinishRequest = z.infer<typeof RecoverFinishRequest>;

/** Storage use of an account: ciphertext of files, versions and trash, plus open reservations. */
export const Quota = z.object({ limitBytes: SizeBytes, usedBytes: SizeBytes, reservedBytes: SizeBytes });
export type Quota = z.infer<typeof Quota>;

/** An account as its owner sees it: keys (wrapped or public) and quota. */
export const Account = z.object({
  userId: UserId,
  email: z.string(),
  createdAt: Timestamp,
  rootNodeId: NodeId,
  keys: z.object({
    wrappedMasterKey: WrappedKey,
    publicEncryptionKey: PublicKeyMaterial,
    publicSigningKey: PublicKeyMaterial,
    wrappedEncryptionPrivateKey: WrappedKey,
    wrappedSigningPrivateKey: WrappedKey,
    publicKeysSignature: PublicKeyMaterial,
  }),
  quota: Quota,
});
export type Account = z.infer<typeof Account>;
/** Answer of `GET /account`. */
export const AccountResponse = z.object({ account: Account });
export type AccountResponse = z.infer<typeof AccountResponse>;

/** One open session of the account (never its token or secret). */
export const SessionInfo = z.object({
  id: SessionId,
  createdAt: Timestamp,
  lastSeenAt: Timestamp,
  expiresAt: Timestamp,
  /** Whether this is the session that made the request. */
  current: z.boolean(),
});
export type SessionInfo = z.infer<typeof SessionInfo>;
/** Answer of `GET /account/sessions`. */
export const SessionsResponse = z.object({ sessions: z.array(SessionInfo) });
export type SessionsResponse = z.infer<typeof SessionsResponse>;

/** Body of `POST /account/password/start`. */
export const PasswordStartRequest = z.object({ registrationRequest: OpaqueMessage });
export type PasswordStartRequest = z.infer<typeof PasswordStartRequest>;
/** Answer of `POST /account/password/start`. */
export const PasswordStartResponse = z.object({ registrationResponse: OpaqueMessage });
export type PasswordStartResponse = z.infer<typeof PasswordStartResponse>;
/** Body of `POST /account/password/finish`: the new OPAQUE record and the re-wrapped master key. */
export const PasswordFinishRequest = z.object({
  registrationRecord: OpaqueMessage,
  wrappedMasterKey: WrappedKey,
});
export type PasswordFinishRequest = z.infer<typeof PasswordFinishRequest>;

/** Deleting an account names its e-mail address again, so that no stray request can do it. */
export const DeleteAccountRequest = z.object({ confirmEmail: Email });
export type DeleteAccountRequest = z.infer<typeof DeleteAccountRequest>;
