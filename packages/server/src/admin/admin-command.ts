// The shape of one `hoard-server admin <name> ...` command. Each module that gives the operator a
// tool exports its commands in this shape from its own folder; admin-commands.ts lists them.
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Db } from '../db/schema.js';

export interface AdminContext {
  config: Config;
  db: Db;
  clock: Clock;
  /** Writes one line to standard output. */
  out: (line: string) => void;
}

export interface AdminCommand {
  /** The word after `admin`, e.g. `users`. */
  name: string;
  /** Arguments and flags, shown in the usage text, e.g. `[--json]`. */
  usage: string;
  /** One line saying what it does. */
  summary: string;
  /**
   * Runs with the arguments after the name. Throws AdminUsageError for bad arguments (exit 2) and
   * AppError or Error for refusals (exit 1); returns normally on success (exit 0).
   */
  run(context: AdminContext, args: readonly string[]): Promise<void>;
}

/** Bad arguments: the dispatcher prints the message and the command's usage, and exits with 2. */
export class AdminUsageError extends Error {
  override name = 'AdminUsageError';
}
