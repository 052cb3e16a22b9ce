import * as opaque from '@serenity-kit/opaque';
import { AccountResponse, AuthResponse, LoginStartResponse, SessionsResponse } from '@hoard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../secrets.js';
import { createTestApp, fake32, fakeKey, logIn, signUp, type TestApp } from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-database.js';

const MINUTE_MS = 60_000;

for (const dialect of testDialects(process.env)) {
  describe(`accounts (${dialect})`, () => {
    let t: TestApp;

    beforeAll(async () => {
      await opaque.ready;
      t = await createTestApp({
        dialect,
        databaseUrl: process.env.DATABASE_URL,
        config: {
          freeQuotaBytes: 5_000,
          loginRateLimitPerEmail: { limit: 3, windowSeconds: 60 },
          loginRateLimitPerIp: { limit: 1000, windowSeconds: 60 },
        },
      });
    });
    afterAll(async () => {
      await t.close();
    });

    const get = (url: string, token: string) =>
      t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

    it('signs up with OPAQUE, creates the root folder and a working session', async () => {
      const alice = await signUp(t.app, '  Alice.' + randomId() + '@Example.com ');
      const res = await get('/account', alice.session.token);
      expect(res.statusCode).toBe(200);
      const { account } = AccountResponse.parse(res.json());
      expect(account.email).toBe(alice.email);
      expect(account.rootNodeId).toBe(alice.rootNodeId);
      expect(account.quota).toEqual({ limitBytes: 5_000, usedBytes: 0, reservedBytes: 0 });
      const root = await get(`/nodes/${alice.rootNodeId}`, alice.session.token);
      expect(root.statusCode).toBe(200);
    });

    it('stores only a hash of the session token and of the recovery auth key', async () => {
      const alice = await signUp(t.app);
      const session = await t.db
        .selectFrom('sessions')
        .selectAll()
        .where('id', '=', alice.session.id)
        .executeTakeFirstOrThrow();
      expect(session.token_hash).not.toBe(alice.session.token);
      const user = await t.db
        .selectFrom('users')
        .selectAll()
        .where('id', '=', alice.userId)
        .executeTakeFirstOrThrow();
      expect(user.recovery_auth_hash).not.toBe(alice.recoveryAuthKey);
      expect(JSON.stringify(user)).not.toContain(alice.password);
    });

    it('refuses a second sign-up with the same e-mail', async () => {
      const alice = await signUp(t.app);
      const start = opaque.client.startRegistration({ password: 'x' });
      const res = await t.app.inject({
        method: 'POST',
        url: '/auth/signup/start',
        payload: { email: alice.email.toUpperCase(), registrationRequest: start.registrationRequest },
      });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('EMAIL_TAKEN');
    });

    it('logs in with the right password and refuses a wrong one with LOGIN_FAILED', async () => {
      const alice = await signUp(t.app);
      const ok = await logIn(t.app, alice.email, alice.password);
      expect(ok.statusCode, ok.body).toBe(200);
      const body = AuthResponse.parse(ok.json());
      expect(body.userId).toBe(alice.userId);
      expect((await get('/account', body.session.token)).statusCode).toBe(200);
      const bad = await logIn(t.app, alice.email, 'wrong password');
      expect(bad.statusCode).toBe(401);
      expect(bad.json().error.code).toBe('LOGIN_FAILED');
    });

    it('answers a login for an unknown e-mail with the same shape, then fails it', async () => {
      const start = opaque.client.startLogin({ password: 'whatever' });
      const res = await t.app.inject({
        method: 'POST',
        url: '/auth/login/start',
        payload: { email: `nobody-${randomId()}@example.com`, startLoginRequest: start.startLoginRequest },
      });
      expect(res.statusCode).toBe(200);
      const body = LoginStartResponse.parse(res.json());
      const known = await signUp(t.app);
      const start2 = opaque.client.startLogin({ password: 'whatever' });
      const res2 = await t.app.inject({
        method: 'POST',
        url: '/auth/login/start',
        payload: { email: known.email, startLoginRequest: start2.startLoginRequest },
      });
      expect(body.loginResponse.length).toBe(LoginStartResponse.parse(res2.json()).loginResponse.length);
      const finish = await t.app.inject({
        method: 'POST',
        url: '/auth/login/finish',
        payload: { loginId: body.loginId, finishLoginRequest: fake32() + fake32() },
      });
      expect(finish.json().error.code).toBe('LOGIN_FAILED');
    });

    it('does not accept a login finish twice', async () => {
      const alice = await signUp(t.app);
      const start = opaque.client.startLogin({ password: alice.password });
      const res = await t.app.inject({
        method: 'POST',
        url: '/auth/login/start',
        payload: { email: alice.email, startLoginRequest: start.startLoginRequest },
      });
      const { loginId, loginResponse } = LoginStartResponse.parse(res.json());
      const finish = opaque.client.finishLogin({
        clientLoginState: start.clientLoginState,
        loginResponse,
        password: alice.password,
        keyStretching: 'memory-constrained',
      })!;
      const payload = { loginId, finishLoginRequest: finish.finishLoginRequest };
      expect((await t.app.inject({ method: 'POST', url: '/auth/login/finish', payload })).statusCode).toBe(
        200,
      );
      expect((await t.app.inject({ method: 'POST', url: '/auth/login/finish', payload })).statusCode).toBe(
        401,
      );
    });

    it('rate-limits logins per e-mail with 429 and Retry-After', async () => {
      const alice = await signUp(t.app);
      for (let i = 0; i < 3; i++) expect((await logIn(t.app, alice.email, 'wrong')).statusCode).toBe(401);
      const limited = await logIn(t.app, alice.email, alice.password);
      expect(limited.statusCode).toBe(429);
      expect(limited.json().error.code).toBe('RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      t.clock.advance(MINUTE_MS);
      expect((await logIn(t.app, alice.email, alice.password)).statusCode).toBe(200);
    });

    it('clears the per-e-mail count after a successful login', async () => {
      const alice = await signUp(t.app);
      for (let i = 0; i < 2; i++) expect((await logIn(t.app, alice.email, 'wrong')).statusCode).toBe(401);
      expect((await logIn(t.app, alice.email, alice.password)).statusCode).toBe(200);
      for (let i = 0; i < 2; i++) expect((await logIn(t.app, alice.email, 'wrong')).statusCode).toBe(401);
      expect((await logIn(t.app, alice.email, alice.password)).statusCode).toBe(200);
    });

    it('rate-limits logins per client address', async () => {
      const limited = await createTestApp({
        dialect,
        databaseUrl: process.env.DATABASE_URL,
        config: { loginRateLimitPerIp: { limit: 2, windowSeconds: 60 } },
      });
      try {
        const codes: number[] = [];
        for (let i = 0; i < 3; i++) {
          codes.push((await logIn(limited.app, `x${i}@example.com`, 'pw', '10.0.0.9')).statusCode);
        }
        expect(codes).toEqual([401, 401, 429]);
        expect((await logIn(limited.app, 'y@example.com', 'pw', '10.0.0.10')).statusCode).toBe(401);
      } finally {
        await limited.close();
      }
    });

    it('rate-limits sign-ups per client address with 429 and Retry-After', async () => {
      const limited = await createTestApp({
        dialect,
        databaseUrl: process.env.DATABASE_URL,
        config: { signupRateLimitPerIp: { limit: 2, windowSeconds: 3600 } },
      });
      try {
        const start = (remoteAddress: string) =>
          limited.app.inject({
            method: 'POST',
            url: '/auth/signup/start',
            remoteAddress,
            payload: {
              email: `s${randomId()}@example.com`,
              registrationRequest: opaque.client.startRegistration({ password: 'pw' }).registrationRequest,
            },
          });
        const codes = [];
        for (let i = 0; i < 3; i++) codes.push((await start('10.0.0.7')).statusCode);
        expect(codes).toEqual([200, 200, 429]);
        const refused = await start('10.0.0.7');
        expect(refused.json().error.code).toBe('RATE_LIMITED');
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
        expect((await start('10.0.0.8')).statusCode).toBe(200);
        limited.clock.advance(3600 * 1000);
        expect((await start('10.0.0.7')).statusCode).toBe(200);
      } finally {
        await limited.close();
      }
    });

    it('lists sessions, marks the current one, and revokes one', async () => {
      const alice = await signUp(t.app);
      const second = AuthResponse.parse((await logIn(t.app, alice.email, alice.password)).json());
      const list = SessionsResponse.parse(
        (await get('/account/sessions', alice.session.token)).json(),
      ).sessions;
      expect(list).toHaveLength(2);
      expect(list.find((s) => s.current)?.id).toBe(alice.session.id);
      const del = await t.app.inject({
        method: 'DELETE',
        url: `/account/sessions/${second.session.id}`,
        headers: alice.headers,
      });
      expect(del.statusCode).toBe(204);
      expect((await get('/account', second.session.token)).statusCode).toBe(401);
      const again = await t.app.inject({
        method: 'DELETE',
        url: `/account/sessions/${second.session.id}`,
        headers: alice.headers,
      });
      expect(again.json().error.code).toBe('NOT_FOUND');
    });

    it("returns the current session's secret and logs out", async () => {
      const alice = await signUp(t.app);
      const res = await get('/auth/session', alice.session.token);
      expect(res.json().session).toEqual({
        id: alice.session.id,
        expiresAt: alice.session.expiresAt,
        secret: alice.session.secret,
      });
      const out = await t.app.inject({ method: 'POST', url: '/auth/logout', headers: alice.headers });
      expect(out.statusCode).toBe(204);
      expect((await get('/account', alice.session.token)).json().error.code).toBe('UNAUTHENTICATED');
    });

    it('expires sessions after 30 days without use, and slides the expiry on use', async () => {
      const alice = await signUp(t.app);
      t.clock.advance(20 * 24 * 60 * MINUTE_MS);
      expect((await get('/account', alice.session.token)).statusCode).toBe(200);
      t.clock.advance(20 * 24 * 60 * MINUTE_MS);
      expect((await get('/account', alice.session.token)).statusCode).toBe(200);
      t.clock.advance(31 * 24 * 60 * MINUTE_MS);
      expect((await get('/account', alice.session.token)).statusCode).toBe(401);
    });

    it('refuses malformed and unknown bearer tokens', async () => {
      for (const authorization of ['Bearer nope', `Bearer ${fake32()}`, 'Basic abc', '']) {
        const res = await t.app.inject({ method: 'GET', url: '/account', headers: { authorization } });
        expect(res.statusCode).toBe(401);
        expect(res.json().error.code).toBe('UNAUTHENTICATED');
      }
    });

    it('changes the password with a fresh session, revokes other sessions, and the new password logs in', async () => {
      const alice = await signUp(t.app);
      const other = AuthResponse.parse((await logIn(t.app, alice.email, alice.password)).json());
      const start = opaque.client.startRegistration({ password: 'new password' });
      const res1 = await t.app.inject({
        method: 'POST',
        url: '/account/password/start',
        headers: alice.headers,
        payload: { registrationRequest: start.registrationRequest },
      });
      expect(res1.statusCode).toBe(200);
      const finish = opaque.client.finishRegistration({
        clientRegistrationState: start.clientRegistrationState,
        registrationResponse: res1.json().registrationResponse,
        password: 'new password',
        keyStretching: 'memory-constrained',
      });
      const wrappedMasterKey = fakeKey();
      const res2 = await t.app.inject({
        method: 'POST',
        url: '/account/password/finish',
        headers: alice.headers,
        payload: { registrationRecord: finish.registrationRecord, wrappedMasterKey },
      });
      expect(res2.statusCode).toBe(204);
      expect((await get('/account', other.session.token)).statusCode).toBe(401);
      expect((await get('/account', alice.session.token)).json().account.keys.wrappedMasterKey).toBe(
        wrappedMasterKey,
      );
      expect((await logIn(t.app, alice.email, alice.password)).statusCode).toBe(401);
      expect((await logIn(t.app, alice.email, 'new password')).statusCode).toBe(200);
    });

    it('requires a session younger than 10 minutes for password change and deletion', async () => {
      const alice = await signUp(t.app);
      t.clock.advance(11 * MINUTE_MS);
      const start = opaque.client.startRegistration({ password: 'p' });
      const res = await t.app.inject({
        method: 'POST',
        url: '/account/password/start',
        headers: alice.headers,
        payload: { registrationRequest: start.registrationRequest },
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('REAUTH_REQUIRED');
      const del = await t.app.inject({
        method: 'DELETE',
        url: '/account',
        headers: alice.headers,
        payload: { confirmEmail: alice.email },
      });
      expect(del.json().error.code).toBe('REAUTH_REQUIRED');
    });

    it('recovers with the recovery key: new password, every old session revoked', async () => {
      const alice = await signUp(t.app);
      const start = opaque.client.startRegistration({ password: 'recovered' });
      const wrong = await t.app.inject({
        method: 'POST',
        url: '/auth/recover/start',
        payload: {
          email: alice.email,
          recoveryAuthKey: fake32(),
          registrationRequest: start.registrationRequest,
        },
      });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json().error.code).toBe('RECOVERY_FAILED');
      const res1 = await t.app.inject({
        method: 'POST',
        url: '/auth/recover/start',
        payload: {
          email: alice.email,
          recoveryAuthKey: alice.recoveryAuthKey,
          registrationRequest: start.registrationRequest,
        },
      });
      expect(res1.statusCode, res1.body).toBe(200);
      const body = res1.json<{ recoveryId: string; userId: string; registrationResponse: string }>();
      expect(body.userId).toBe(alice.userId);
      const finish = opaque.client.finishRegistration({
        clientRegistrationState: start.clientRegistrationState,
        registrationResponse: body.registrationResponse,
        password: 'recovered',
        keyStretching: 'memory-constrained',
      });
      const res2 = await t.app.inject({
        method: 'POST',
        url: '/auth/recover/finish',
        payload: {
          recoveryId: body.recoveryId,
          registrationRecord: finish.registrationRecord,
          wrappedMasterKey: fakeKey(),
        },
      });
      expect(res2.statusCode).toBe(200);
      expect((await get('/account', alice.session.token)).statusCode).toBe(401);
      expect((await get('/account', AuthResponse.parse(res2.json()).session.token)).statusCode).toBe(200);
      expect((await logIn(t.app, alice.email, 'recovered')).statusCode).toBe(200);
      const replay = await t.app.inject({
        method: 'POST',
        url: '/auth/recover/finish',
        payload: {
          recoveryId: body.recoveryId,
          registrationRecord: finish.registrationRecord,
          wrappedMasterKey: fakeKey(),
        },
      });
      expect(replay.json().error.code).toBe('RECOVERY_FAILED');
    });

    it('answers RECOVERY_FAILED for an unknown e-mail', async () => {
      const start = opaque.client.startRegistration({ password: 'p' });
      const res = await t.app.inject({
        method: 'POST',
        url: '/auth/recover/start',
        payload: {
          email: `none-${randomId()}@example.com`,
          recoveryAuthKey: fake32(),
          registrationRequest: start.registrationRequest,
        },
      });
      expect(res.json().error.code).toBe('RECOVERY_FAILED');
    });

    it('deletes the account and everything in it, after the e-mail is confirmed', async () => {
      const alice = await signUp(t.app);
      const wrong = await t.app.inject({
        method: 'DELETE',
        url: '/account',
        headers: alice.headers,
        payload: { confirmEmail: 'someone@else.com' },
      });
      expect(wrong.json().error.code).toBe('VALIDATION_FAILED');
      const del = await t.app.inject({
        method: 'DELETE',
        url: '/account',
        headers: alice.headers,
        payload: { confirmEmail: alice.email },
      });
      expect(del.statusCode).toBe(204);
      expect((await get('/account', alice.session.token)).statusCode).toBe(401);
      expect(
        await t.db.selectFrom('nodes').select('id').where('user_id', '=', alice.userId).execute(),
      ).toEqual([]);
      expect(await t.db.selectFrom('users').select('id').where('id', '=', alice.userId).execute()).toEqual(
        [],
      );
      expect((await logIn(t.app, alice.email, alice.password)).statusCode).toBe(401);
      // The e-mail address is free again.
      await signUp(t.app, alice.email);
    });

    it('rejects sign-up bodies that are not valid', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/auth/signup/finish',
        payload: { email: 'a@b.c', userId: 'short', registrationRecord: 'x', keys: {} },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
    });
  });
}
