#!/usr/bin/env node
// The `hoard` executable: runs the CLI on the real process and exits with its code.

import { runCli } from './cli.js';

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  // `hoard get x - | head`: the reader went away; that is not our failure.
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// Ctrl-C (or a polite kill) mid-transfer: everything needed to resume is already on disk (resume
// records are written before each part is sent), so stop at once and say how to continue.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(
      `${process.stderr.isTTY ? '\r\x1b[2K' : ''}hoard: interrupted (run the same command again to resume)\n`,
    );
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
});
process.exitCode = code;
