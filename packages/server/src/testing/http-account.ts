// Accounts and JSON calls over real HTTP, for tests against spawned servers (fleet, migrate): sign-up
// through real OPAQUE messages with random bytes standing in for the wrapped keys (the server cannot
// tell). Used by tests only.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- answers are read field by field, each checked by the tests' expectations */
import { randomBytes } from 'node:crypto';
import * as opaque from '@serenity-kit/opaque';
import { expect } from 'vitest';

const id = () => randomBytes(16).toString('base64url');
const key32 = () => randomBytes(32).toString('base64url');

export async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; json?: unknown } = {},
  // Answers are read field by field below, each one checked by an expectation.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, {
    method,
    headers,
    ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

export async function signUp(base: string, email: string, password: string) {
  await opaque.ready;
  const start = opaque.client.startRegistration({ password });
  const first = await call(base, 'POST', '/auth/signup/start', {
    json: { email, registrationRequest: start.registrationRequest },
  });
  expect(first.status).toBe(200);
  const finish = opaque.client.finishRegistration({
    clientRegistrationState: start.clientRegistrationState,
    registrationResponse: first.body.registrationResponse as string,
    password,
    keyStretching: 'memory-constrained',
  });
  const rootNodeId = id();
  const second = await call(base, 'POST', '/auth/signup/finish', {
    json: {
      email,
      userId: id(),
      registrationRecord: finish.registrationRecord,
      keys: {
        wrappedMasterKey: key32() + key32(),
        wrappedMasterKeyRecovery: key32() + key32(),
        recoveryAuthKey: key32(),
        rootNodeId,
        rootWrappedKey: key32() + key32(),
        publicEncryptionKey: key32() + key32(),
        publicSigningKey: key32() + key32(),
        wrappedEncryptionPrivateKey: key32() + key32(),
        wrappedSigningPrivateKey: key32() + key32(),
        publicKeysSignature: key32() + key32(),
      },
    },
  });
  expect(second.status, JSON.stringify(second.body)).toBe(201);
  return { token: second.body.session.token as string, rootNodeId };
}

/** Logs in through both OPAQUE steps; returns the finish answer. */
export async function logIn(base: string, email: string, password: string) {
  await opaque.ready;
  const start = opaque.client.startLogin({ password });
  const first = await call(base, 'POST', '/auth/login/start', {
    json: { email, startLoginRequest: start.startLoginRequest },
  });
  if (first.status !== 200) return first;
  const finish = opaque.client.finishLogin({
    clientLoginState: start.clientLoginState,
    loginResponse: first.body.loginResponse as string,
    password,
    keyStretching: 'memory-constrained',
  });
  return call(base, 'POST', '/auth/login/finish', {
    json: {
      loginId: first.body.loginId as string,
      finishLoginRequest: finish?.finishLoginRequest ?? key32() + key32(),
    },
  });
}
