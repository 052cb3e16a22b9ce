// @hoard/cli: the `hoard` command, runnable in-process for tests and embedding.
export { runCli, describeError } from './cli.js';
export type { CliIo } from './cli-context.js';
