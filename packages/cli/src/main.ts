#!/usr/bin/env node
// The `hoard` executable: runs the CLI on the real process and exits with its code.

import { runCli } from './cli.js';

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  // `hoard get x - | head`: the reader went away; that is not our failure.
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
});
process.exitCode = code;
