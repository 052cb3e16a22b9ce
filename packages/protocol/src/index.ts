// @hoard/protocol: the HTTP contract shared by server, client and CLI. zod schemas (each with a
// type of the same name), branded ids, the error table and the route table. Isomorphic: no node:*.
export * from './ids.js';
export * from './errors.js';
export * from './accounts.js';
export * from './tree.js';
export * from './uploads.js';
export * from './sharing.js';
export * from './payments.js';
export * from './routes.js';
export { describeSchema, renderApiMarkdown } from './api-doc.js';
