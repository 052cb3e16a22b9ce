// `hoard-server admin <command> [args]`: opens the configured database (SQLite in --data, or
// DATABASE_URL), runs one operator command from admin-commands.ts, closes the database. Exit codes:
// 0 done, 1 refused or failed, 2 bad usage.
import { systemClock, type Clock } from '../clock.js';
import type { Config } from '../config.js';
import { openDatabase, sqlitePathIn } from '../db/database.js';
import { AdminUsageError } from './admin-command.js';
import { adminCommands } from './admin-commands.js';

export function adminUsage(): string {
  const width = Math.max(...adminCommands.map((c) => `${c.name} ${c.usage}`.length));
  const lines = adminCommands.map((c) => `  ${`${c.name} ${c.usage}`.padEnd(width)}  ${c.summary}`);
  return `usage: hoard-server admin <command> [--data DIR]\n\n${lines.join('\n')}`;
}

export interface AdminIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Runs one admin command; returns the process exit code. */
export async function runAdmin(
  config: Config,
  args: readonly string[],
  io: AdminIo,
  clock: Clock = systemClock,
): Promise<number> {
  const [name, ...rest] = args;
  const command = adminCommands.find((c) => c.name === name);
  if (!command) {
    io.err(name === undefined ? adminUsage() : `unknown admin command "${name}"\n${adminUsage()}`);
    return 2;
  }
  const { db } = await openDatabase(
    config.databaseUrl ? { databaseUrl: config.databaseUrl } : { sqlitePath: sqlitePathIn(config.dataDir) },
  );
  try {
    await command.run({ config, db, clock, out: io.out }, rest);
    return 0;
  } catch (error) {
    if (error instanceof AdminUsageError || (error instanceof TypeError && 'code' in error)) {
      // parseArgs throws TypeErrors with an ERR_PARSE_ARGS_* code for unknown or malformed flags.
      io.err(`${error.message}\nusage: hoard-server admin ${command.name} ${command.usage}`);
      return 2;
    }
    // A refusal (AppError, or an Error a command throws to say why it will not go on).
    io.err(`hoard-server admin ${command.name}: ${(error as Error).message}`);
    return 1;
  } finally {
    await db.destroy();
  }
}
