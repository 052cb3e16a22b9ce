// The blob collector: deletes the blobs that blob_garbage lists once they are due (versions deleted
// for good, abandoned or failed uploads; see [Note: upload durability]). The blob goes first and
// its row after, so a crash in between only means the blob is deleted again (idempotent), never
// that a blob leaks.
import type { Db } from '../../db/schema.js';
import type { BlobStore } from '../../storage/blob-store.js';

/** Deletes every blob due at `now`; returns how many. Run by main.ts on an interval and by tests. */
export async function collectBlobGarbage(
  deps: { db: Db; blobStore: BlobStore },
  now: number,
): Promise<number> {
  const { db, blobStore } = deps;
  let collected = 0;
  for (;;) {
    const due = await db
      .selectFrom('blob_garbage')
      .select(['blob_key'])
      .where('due_at', '<=', now)
      .orderBy('due_at')
      .limit(100)
      .execute();
    if (due.length === 0) return collected;
    for (const { blob_key } of due) {
      await blobStore.delete(blob_key);
      await db
        .deleteFrom('blob_garbage')
        .where('blob_key', '=', blob_key)
        .where('due_at', '<=', now)
        .execute();
      collected++;
    }
  }
}
