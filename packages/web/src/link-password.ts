// The Argon2id of a link password (made by the share dialog, asked by the link page) runs in a
// worker of its own, so the page keeps painting and answering during its second of work.
import type { LinkPasswordCommand, LinkPasswordReply } from './shared/messages';
import { askWorkerOnce } from './worker-once';

/** The Argon2id of a link password, computed in a worker: the page keeps painting meanwhile. */
export async function linkPasswordHashInWorker(password: string, linkId: string): Promise<Uint8Array> {
  const reply = await askWorkerOnce<LinkPasswordReply>(
    new Worker(new URL('./workers/link-password-worker.ts', import.meta.url), {
      type: 'module',
      name: 'hoard-link-password',
    }),
    'link-password',
    { password, linkId } satisfies LinkPasswordCommand,
  );
  if (!reply.ok) throw new Error(reply.message);
  return reply.hash;
}
