// The OPAQUE client wrappers against @serenity-kit/opaque's server side, as the Hoard server runs it.
import * as opaque from '@serenity-kit/opaque';
import { beforeAll, describe, expect, it } from 'vitest';
import { LoginFailedError } from './errors.js';
import {
  OPAQUE_KEY_STRETCHING,
  opaqueFinishLogin,
  opaqueFinishRegistration,
  opaqueReady,
  opaqueStartLogin,
  opaqueStartRegistration,
} from './opaque.js';

describe('OPAQUE client wrappers', () => {
  let serverSetup: string;
  const email = 'alice@example.com';
  beforeAll(async () => {
    await opaqueReady;
    serverSetup = opaque.server.createSetup();
  });

  async function register(password: string) {
    const start = await opaqueStartRegistration(password);
    const { registrationResponse } = opaque.server.createRegistrationResponse({
      serverSetup,
      userIdentifier: email,
      registrationRequest: start.registrationRequest,
    });
    return opaqueFinishRegistration({
      clientRegistrationState: start.clientRegistrationState,
      registrationResponse,
      password,
    });
  }

  async function login(registrationRecord: string | null, password: string) {
    const start = await opaqueStartLogin(password);
    const { loginResponse, serverLoginState } = opaque.server.startLogin({
      serverSetup,
      userIdentifier: email,
      registrationRecord,
      startLoginRequest: start.startLoginRequest,
    });
    const finish = await opaqueFinishLogin({
      clientLoginState: start.clientLoginState,
      loginResponse,
      password,
    });
    const { sessionKey } = opaque.server.finishLogin({
      serverLoginState,
      finishLoginRequest: finish.finishLoginRequest,
    });
    return { finish, sessionKey };
  }

  it('uses explicit Argon2id parameters (RFC 9106 second recommended option)', () => {
    expect(OPAQUE_KEY_STRETCHING).toEqual({
      'argon2id-custom': { memory: 65536, iterations: 3, parallelism: 4 },
    });
  });

  it('registers and logs in, with the same 64-byte export key both times and agreeing session keys', async () => {
    const reg = await register('correct horse battery staple');
    expect(reg.exportKey).toHaveLength(64);
    const { finish, sessionKey } = await login(reg.registrationRecord, 'correct horse battery staple');
    expect(finish.exportKey).toEqual(reg.exportKey);
    expect(finish.sessionKey).toBe(sessionKey);
  });

  it('treats composed and decomposed spellings of a password as the same password (NFC)', async () => {
    const reg = await register('caf\u00e9 au lait');
    const { finish } = await login(reg.registrationRecord, 'cafe\u0301 au lait');
    expect(finish.exportKey).toEqual(reg.exportKey);
  });

  it('fails with LoginFailedError on a wrong password and on an unknown user (fake record)', async () => {
    const reg = await register('right password');
    await expect(login(reg.registrationRecord, 'wrong password')).rejects.toBeInstanceOf(LoginFailedError);
    await expect(login(null, 'any password')).rejects.toBeInstanceOf(LoginFailedError);
  });

  it('stretches with the configured parameters: a registration made with the library default does not log in', async () => {
    const password = 'pw';
    const start = opaque.client.startRegistration({ password });
    const { registrationResponse } = opaque.server.createRegistrationResponse({
      serverSetup,
      userIdentifier: email,
      registrationRequest: start.registrationRequest,
    });
    const other = opaque.client.finishRegistration({
      clientRegistrationState: start.clientRegistrationState,
      registrationResponse,
      password,
      keyStretching: { 'argon2id-custom': { memory: 8192, iterations: 1, parallelism: 1 } },
    });
    await expect(login(other.registrationRecord, password)).rejects.toBeInstanceOf(LoginFailedError);
  });
});
