// Runs an account operation in the auth worker and opens the resulting session in the page.
import { ApiError, NetworkError, type HoardClient, type HoardSession } from '@hoard/client';
import type { AuthCommand, AuthReply } from './shared/messages';
import { askWorkerOnce } from './worker-once';

type Command = AuthCommand extends infer C ? (C extends unknown ? Omit<C, 'serverUrl'> : never) : never;

export async function runAuth(
  client: HoardClient,
  command: Command,
): Promise<{ session: HoardSession; words?: string[] }> {
  const reply = await askWorkerOnce<AuthReply>(
    new Worker(new URL('./workers/auth-worker.ts', import.meta.url), { type: 'module', name: 'hoard-auth' }),
    'auth',
    { ...command, serverUrl: client.serverUrl },
  );
  if (!reply.ok) {
    const e = reply.error;
    if (e.code !== undefined && e.status !== undefined)
      throw new ApiError(e.code, e.status, e.message, e.retryAfterSeconds);
    if (e.network) throw new NetworkError(e.message);
    throw new Error(e.message);
  }
  const session = await client.resume(reply.saved);
  return { session, ...(reply.words ? { words: reply.words } : {}) };
}
