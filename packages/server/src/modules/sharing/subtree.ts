// Confinement of links and shares to their subtree: a node is reachable through a link or a share
// only if it is the linked/shared folder itself or lies below it, with nothing on the way in the
// trash. Walks parents upwards from the node (at most the tree's depth).
import type { Db, NodeRow } from '../../db/schema.js';

/** `nodeId` if it is `rootId` or below it (live, of `ownerId`); undefined otherwise. */
export async function nodeInSubtree(
  db: Db,
  rootId: string,
  ownerId: string,
  nodeId: string,
): Promise<NodeRow | undefined> {
  const target = await db.selectFrom('nodes').selectAll().where('id', '=', nodeId).executeTakeFirst();
  if (!target || target.user_id !== ownerId) return undefined;
  let current: Pick<NodeRow, 'id' | 'parent_id' | 'trashed_at'> | undefined = target;
  for (let depth = 0; current; depth++) {
    if (current.trashed_at !== null) return undefined;
    if (current.id === rootId) return target;
    if (current.parent_id === null || depth > 10_000) return undefined;
    current = await db
      .selectFrom('nodes')
      .select(['id', 'parent_id', 'trashed_at'])
      .where('id', '=', current.parent_id)
      .executeTakeFirst();
  }
  return undefined;
}
