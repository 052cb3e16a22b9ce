// The server half of OPAQUE (RFC 9807) through @serenity-kit/opaque. The server setup (its long-term
// OPAQUE key material) is created once and kept in the database, so restarts and every server of a
// fleet share it; changing it would invalidate every registration record. The server never sees a
// password or the export key. It must never import @hoard/crypto.
import * as opaque from '@serenity-kit/opaque';
import type { Db } from '../../db/schema.js';
import { AppError } from '../../errors.js';

const SETUP_NAME = 'opaque_server_setup';

/** Loads the server setup, creating it on first start (first writer wins among racing servers). */
export async function loadOpaqueServerSetup(db: Db, now: number): Promise<string> {
  await opaque.ready;
  const existing = await db
    .selectFrom('server_secrets')
    .select('value')
    .where('name', '=', SETUP_NAME)
    .executeTakeFirst();
  if (existing) return existing.value;
  await db
    .insertInto('server_secrets')
    .values({ name: SETUP_NAME, value: opaque.server.createSetup(), created_at: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const created = await db
    .selectFrom('server_secrets')
    .select('value')
    .where('name', '=', SETUP_NAME)
    .executeTakeFirstOrThrow();
  return created.value;
}

/** The OPAQUE operations the accounts service needs, bound to one server setup. */
export class OpaqueServer {
  constructor(private readonly serverSetup: string) {}

  /** Answers a registration request (sign-up, password change, recovery). */
  registrationResponse(email: string, registrationRequest: string): string {
    try {
      return opaque.server.createRegistrationResponse({
        serverSetup: this.serverSetup,
        userIdentifier: email,
        registrationRequest,
      }).registrationResponse;
    } catch (error) {
      throw new AppError('VALIDATION_FAILED', 'registrationRequest is not a valid OPAQUE message', {
        cause: error,
      });
    }
  }

  /**
   * Starts a login. With `record` undefined (no such account) the library answers from a fake
   * record, so the answer has the same shape and does not reveal whether the account exists.
   */
  startLogin(
    email: string,
    record: string | undefined,
    startLoginRequest: string,
  ): { serverLoginState: string; loginResponse: string } {
    try {
      return opaque.server.startLogin({
        serverSetup: this.serverSetup,
        registrationRecord: record ?? null,
        startLoginRequest,
        userIdentifier: email,
      });
    } catch (error) {
      throw new AppError('VALIDATION_FAILED', 'startLoginRequest is not a valid OPAQUE message', {
        cause: error,
      });
    }
  }

  /** Whether the client proved knowledge of the password. */
  finishLogin(serverLoginState: string, finishLoginRequest: string): boolean {
    try {
      opaque.server.finishLogin({ serverLoginState, finishLoginRequest });
      return true;
    } catch {
      return false;
    }
  }
}
