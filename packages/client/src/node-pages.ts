// Reading paged listings of nodes: the children routes (an account's own folders, a folder link, a
// shared folder) and the trash answer a page at a time (at most NODES_PAGE_MAX nodes, so no answer
// grows with the listing); a folder's child is found by its name hash directly.

import { NodesPageResponse, type Node } from '@hoard/protocol';
import type { HttpClient } from './http-client.js';

/** Every node of the paged listing at `path` (a children route, the trash), page after page. */
export async function fetchAllNodes(
  http: HttpClient,
  path: string,
  headers?: Record<string, string>,
): Promise<Node[]> {
  const nodes: Node[] = [];
  let after: string | null = null;
  do {
    const query: string = after === null ? '' : `?after=${encodeURIComponent(after)}`;
    const page: NodesPageResponse = await http.json('GET', `${path}${query}`, NodesPageResponse, {
      ...(headers ? { headers } : {}),
    });
    for (const node of page.nodes) nodes.push(node);
    // A server that answered a `next` it had already given would loop forever: refuse it.
    if (page.next !== null && after !== null && page.next <= after) {
      throw new TypeError(`${path}: the server's next page does not move forward`);
    }
    after = page.next;
  } while (after !== null);
  return nodes;
}

/** The live child named by `nameHash` in the folder whose children route is `path`, or undefined. */
export async function fetchChildByNameHash(
  http: HttpClient,
  path: string,
  nameHash: string,
  headers?: Record<string, string>,
): Promise<Node | undefined> {
  const { nodes } = await http.json(
    'GET',
    `${path}?nameHash=${encodeURIComponent(nameHash)}`,
    NodesPageResponse,
    { ...(headers ? { headers } : {}) },
  );
  return nodes.find((node) => node.nameHash === nameHash);
}
