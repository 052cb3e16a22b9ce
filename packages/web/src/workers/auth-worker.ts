// The auth worker: OPAQUE with Argon2id stretching takes a second of solid computation, so sign-up,
// login, recovery and password changes run here and the page keeps answering. What comes back is
// the saved session (the master key wrapped, never raw); the page opens it with one request.
import { ApiError, HoardClient, NetworkError, type HoardSession } from '@hoard/client';
import type { AuthCommand, AuthReply } from '../shared/messages';

const scope = self as unknown as DedicatedWorkerGlobalScope;

async function run(command: AuthCommand): Promise<AuthReply> {
  const client = new HoardClient({ serverUrl: command.serverUrl });
  let session: HoardSession;
  let words: string[] | undefined;
  switch (command.type) {
    case 'signup': {
      const created = await client.signup(command.email, command.password);
      session = created.session;
      words = created.recoveryWords;
      break;
    }
    case 'login':
      session = await client.login(command.email, command.password);
      break;
    case 'recover':
      session = await client.recover(command.email, command.words, command.password);
      break;
    case 'change-password':
      session = await client.resume(command.saved);
      await session.changePassword(command.password);
      break;
  }
  return { ok: true, saved: await session.save(), ...(words ? { words } : {}) };
}

scope.addEventListener('message', (event: MessageEvent<AuthCommand>) => {
  run(event.data).then(
    (reply) => scope.postMessage(reply),
    (error: unknown) => {
      const reply: AuthReply = {
        ok: false,
        error: {
          name: error instanceof Error ? error.name : 'Error',
          message: error instanceof Error ? error.message : String(error),
          ...(error instanceof ApiError
            ? {
                code: error.code,
                status: error.status,
                ...(error.retryAfterSeconds !== undefined
                  ? { retryAfterSeconds: error.retryAfterSeconds }
                  : {}),
              }
            : {}),
          ...(error instanceof NetworkError ? { network: true } : {}),
        },
      };
      scope.postMessage(reply);
    },
  );
});
