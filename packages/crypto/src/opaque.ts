// The client side of OPAQUE (RFC 9807) via @serenity-kit/opaque, with the Argon2id key stretching
// fixed here once: client and server never agree on it at run time, and changing it locks every
// existing account out, so it is part of the format (docs/FORMAT.md). The password never leaves
// this module except into the OPAQUE library. Never logs passwords, states or keys.

import * as opaque from '@serenity-kit/opaque';
import { fromB64u } from './bytes.js';
import { LoginFailedError } from './errors.js';

/**
 * Argon2id parameters of OPAQUE's key stretching: RFC 9106 section 4, second recommended option
 * (m = 64 MiB, t = 3, p = 4), for browsers and phones. `memory` is in KiB.
 */
export const OPAQUE_KEY_STRETCHING = Object.freeze({
  'argon2id-custom': Object.freeze({ memory: 65536, iterations: 3, parallelism: 4 }),
} as const);

/**
 * Passwords are Unicode-normalized (NFC) before OPAQUE, so the same password typed or pasted on
 * different systems (composed or decomposed accents) is the same password.
 */
function normalizePassword(password: string): string {
  return password.normalize('NFC');
}

function stretching(): { 'argon2id-custom': { memory: number; iterations: number; parallelism: number } } {
  return { 'argon2id-custom': { ...OPAQUE_KEY_STRETCHING['argon2id-custom'] } };
}

/** Resolves once the OPAQUE WebAssembly module is loaded (the functions below await it too). */
export const opaqueReady: Promise<void> = opaque.ready;

/** State a client keeps between the two registration steps (opaque string; never send it). */
export interface OpaqueRegistrationStart {
  clientRegistrationState: string;
  /** Send to the server (`registrationRequest`). */
  registrationRequest: string;
}

/** The result of a finished registration. */
export interface OpaqueRegistrationFinish {
  /** Send to the server (`registrationRecord`). */
  registrationRecord: string;
  /** 64 secret bytes; feed to masterKeyWrappingKey. Never send. */
  exportKey: Uint8Array;
  serverStaticPublicKey: string;
}

/** State a client keeps between the two login steps. */
export interface OpaqueLoginStart {
  clientLoginState: string;
  /** Send to the server (`startLoginRequest`). */
  startLoginRequest: string;
}

/** The result of a finished login. */
export interface OpaqueLoginFinish {
  /** Send to the server (`finishLoginRequest`). */
  finishLoginRequest: string;
  /** 64 secret bytes; feed to masterKeyWrappingKey. Never send. */
  exportKey: Uint8Array;
  sessionKey: string;
  serverStaticPublicKey: string;
}

/** Step 1 of registration (sign-up, password change, recovery). */
export async function opaqueStartRegistration(password: string): Promise<OpaqueRegistrationStart> {
  await opaque.ready;
  return opaque.client.startRegistration({ password: normalizePassword(password) });
}

/**
 * Step 2 of registration, with the server's `registrationResponse`. Runs Argon2id (about a second).
 */
export async function opaqueFinishRegistration(params: {
  clientRegistrationState: string;
  registrationResponse: string;
  password: string;
}): Promise<OpaqueRegistrationFinish> {
  await opaque.ready;
  const r = opaque.client.finishRegistration({
    clientRegistrationState: params.clientRegistrationState,
    registrationResponse: params.registrationResponse,
    password: normalizePassword(params.password),
    keyStretching: stretching(),
  });
  return {
    registrationRecord: r.registrationRecord,
    exportKey: fromB64u(r.exportKey),
    serverStaticPublicKey: r.serverStaticPublicKey,
  };
}

/** Step 1 of login. */
export async function opaqueStartLogin(password: string): Promise<OpaqueLoginStart> {
  await opaque.ready;
  return opaque.client.startLogin({ password: normalizePassword(password) });
}

/**
 * Step 2 of login, with the server's `loginResponse`. Runs Argon2id.
 * @throws {LoginFailedError} when the password is wrong (or the server's response is not genuine).
 */
export async function opaqueFinishLogin(params: {
  clientLoginState: string;
  loginResponse: string;
  password: string;
}): Promise<OpaqueLoginFinish> {
  await opaque.ready;
  let r: ReturnType<typeof opaque.client.finishLogin>;
  try {
    r = opaque.client.finishLogin({
      clientLoginState: params.clientLoginState,
      loginResponse: params.loginResponse,
      password: normalizePassword(params.password),
      keyStretching: stretching(),
    });
  } catch {
    throw new LoginFailedError();
  }
  if (r === undefined) throw new LoginFailedError();
  return {
    finishLoginRequest: r.finishLoginRequest,
    exportKey: fromB64u(r.exportKey),
    sessionKey: r.sessionKey,
    serverStaticPublicKey: r.serverStaticPublicKey,
  };
}
