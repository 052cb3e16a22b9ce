// The link-password worker: the Argon2id of a password link (64 MiB, three passes) is a second or
// more of solid computation, so the link page hands it here and keeps answering clicks and
// painting. It sees the password and the link id, returns the hash, and keeps nothing.
import { linkPasswordHash } from '@hoard/crypto';
import type { LinkPasswordCommand, LinkPasswordReply } from '../shared/messages';

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.addEventListener('message', (event: MessageEvent<LinkPasswordCommand>) => {
  const { password, linkId } = event.data;
  linkPasswordHash(password, linkId).then(
    (hash) => scope.postMessage({ ok: true, hash } satisfies LinkPasswordReply, [hash.buffer]),
    (error: unknown) =>
      scope.postMessage({
        ok: false,
        message: error instanceof Error ? error.message : String(error),
      } satisfies LinkPasswordReply),
  );
});
