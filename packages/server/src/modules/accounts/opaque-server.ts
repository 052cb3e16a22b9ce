// The server half of OPAQUE (RFC 9807) through @serenity-kit/opaque. The server setup (its long-term
// OPAQUE key material) is created once and kept in the database, so restarts and every server of a
// fleet share it; changing it would invalidate every registration record. An operator who wants a
// database dump alone to be useless for offline password guessing supplies it instead through
// HOARD_OPAQUE_SERVER_SETUP (see `hoard-server admin opaque-setup`), and it is then never stored.
// The server never sees a password or the export key. It must never import @hoard/crypto.
import * as opaque from '@serenity-kit/opaque';
import type { Db } from '../../db/schema.js';
import { AppError } from '../../errors.js';

const SETUP_NAME = 'opaque_server_setup';

/** Whether `setup` is a server setup the OPAQUE library accepts. */
export async function isValidOpaqueServerSetup(setup: string): Promise<boolean> {
  await opaque.ready;
  try {
    opaque.server.getPublicKey(setup);
    return true;
  } catch {
    return false;
  }
}

/** The setup stored in the database, if any. */
export async function storedOpaqueServerSetup(db: Db): Promise<string | undefined> {
  const row = await db
    .selectFrom('server_secrets')
    .select('value')
    .where('name', '=', SETUP_NAME)
    .executeTakeFirst();
  return row?.value;
}

/** Removes the stored setup (after the operator moved it to HOARD_OPAQUE_SERVER_SETUP). */
export async function forgetStoredOpaqueServerSetup(db: Db): Promise<void> {
  await db.deleteFrom('server_secrets').where('name', '=', SETUP_NAME).execute();
}

/**
 * The server setup: the configured one if given (checked against any stored one, since a different
 * setup would lock every existing account out), else the stored one, created on first start (first
 * writer wins among racing servers).
 */
export async function loadOpaqueServerSetup(db: Db, now: number, configured?: string): Promise<string> {
  await opaque.ready;
  const existing = await storedOpaqueServerSetup(db);
  if (configured !== undefined) {
    if (!(await isValidOpaqueServerSetup(configured))) {
      throw new Error('HOARD_OPAQUE_SERVER_SETUP is not a valid OPAQUE server setup');
    }
    if (existing !== undefined && existing !== configured) {
      throw new Error(
        'HOARD_OPAQUE_SERVER_SETUP differs from the setup stored in the database: every existing ' +
          'account would fail to log in. Use the stored one (`hoard-server admin opaque-setup`).',
      );
    }
    return configured;
  }
  if (existing !== undefined) return existing;
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
