// Reading a folder's children from any of the three children routes (an account's own folders,
// a folder link, a shared folder): the server answers a page at a time (at most CHILDREN_PAGE_MAX
// nodes, so no answer grows with the folder), and finds one child by its name hash directly.

import { ChildrenPageResponse, type Node } from '@hoard/protocol';
import type { HttpClient } from './http-client.js';

/** Every live child of the folder whose children route is `path`, page after page. */
export async function fetchAllChildren(
  http: HttpClient,
  path: string,
  headers?: Record<string, string>,
): Promise<Node[]> {
  const nodes: Node[] = [];
  let after: string | null = null;
  do {
    const query: string = after === null ? '' : `?after=${encodeURIComponent(after)}`;
    const page: ChildrenPageResponse = await http.json('GET', `${path}${query}`, ChildrenPageResponse, {
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
    ChildrenPageResponse,
    { ...(headers ? { headers } : {}) },
  );
  return nodes.find((node) => node.nameHash === nameHash);
}
