// The `hoard` command line (issue 3, section 6): parses arguments with commander, runs one
// command against a CliIo (so tests run it in-process), and turns every failure into one line on
// stderr (`hoard: <message>`) and a non-zero exit code.

import { Command, CommanderError, Option } from 'commander';
import { ApiError, ClientError, NetworkError, ProtocolError } from '@hoard/client';
import { CliContext, CliError, type CliIo } from './cli-context.js';
import * as account from './commands/account-commands.js';
import * as sharing from './commands/sharing-commands.js';
import * as payment from './commands/payment-commands.js';
import * as transfer from './commands/transfer-commands.js';
import * as tree from './commands/tree-commands.js';
import { PromptCancelled } from './prompt.js';

const VERSION = '0.1.0';

/** The one-line message for a failure. */
export function describeError(error: unknown): string {
  let message: string;
  if (error instanceof CliError || error instanceof ClientError || error instanceof NetworkError) {
    message = error.message;
  } else if (error instanceof ApiError) {
    switch (error.code) {
      case 'UNAUTHENTICATED':
        message = 'the session expired or was revoked: run `hoard login EMAIL`';
        break;
      case 'LOGIN_FAILED':
        message = 'wrong email or password';
        break;
      case 'RECOVERY_FAILED':
        message = 'wrong email or recovery words';
        break;
      case 'EMAIL_TAKEN':
        message = 'an account with that email already exists';
        break;
      case 'RATE_LIMITED':
        message = `too many attempts; try again in ${error.retryAfterSeconds ?? 60} seconds`;
        break;
      case 'QUOTA_EXCEEDED':
        message =
          'not enough space left: free some, or buy a plan (`hoard plans`, `hoard upgrade PLAN`; see `hoard quota`)';
        break;
      default:
        message = `${error.message} (${error.code})`;
    }
  } else if (error instanceof ProtocolError) {
    message = `${error.message} (is HOARD_SERVER a Hoard server?)`;
  } else if (error instanceof Error && error.name === 'DecryptionError') {
    message = 'decryption failed: the data was tampered with or a key is wrong';
  } else if (error instanceof Error) {
    message = error.message;
  } else {
    message = String(error);
  }
  return message.replace(/\s*\n\s*/g, ' ').trim() || 'unknown error';
}

function buildProgram(
  io: CliIo,
  run: (action: (ctx: CliContext) => Promise<void>) => Promise<void>,
): Command {
  const program = new Command('hoard')
    .description(
      'Hoard: end-to-end encrypted file storage. Environment: HOARD_SERVER (default http://localhost:8080), ' +
        'HOARD_HOME (default ~/.config/hoard), HOARD_PASSWORD, HOARD_NEW_PASSWORD (passwd), HOARD_RECOVERY_WORDS (recover), HOARD_LINK_PASSWORD (link --password, get URL).',
    )
    .version(VERSION)
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) =>
        write(
          `hoard: ${text
            .replace(/^error:\s*/i, '')
            .replace(/\s*\n\s*/g, ' ')
            .trim()}\n`,
        ),
    });
  const json = (): Option => new Option('--json', 'print JSON');

  program
    .command('signup')
    .argument('<EMAIL>')
    .description('create an account (prints the recovery words once)')
    .addOption(json())
    .action((email: string, o: { json?: boolean }) => run((ctx) => account.signup(ctx, email, o)));
  program
    .command('login')
    .argument('<EMAIL>')
    .description('log in')
    .action((email: string) => run((ctx) => account.login(ctx, email)));
  program
    .command('logout')
    .description('log out')
    .action(() => run((ctx) => account.logout(ctx)));
  program
    .command('whoami')
    .description('show the logged-in account')
    .addOption(json())
    .action((o: { json?: boolean }) => run((ctx) => account.whoami(ctx, o)));
  program
    .command('ls')
    .argument('[PATH]', 'remote path', '/')
    .description('list a folder (--shared: the folders shared with you, and inside them)')
    .addOption(json())
    .option('--shared', 'list what is shared with you: / lists the shared folders, /NAME/... inside one')
    .action((path: string, o: { json?: boolean; shared?: boolean }) =>
      run((ctx) => (o.shared ? sharing.lsShared(ctx, path, o) : tree.ls(ctx, path, o))),
    );
  program
    .command('mkdir')
    .argument('<PATH>')
    .option('-p, --parents', 'create missing parents; no error if it exists')
    .option('--shared', 'in a folder shared with you (/NAME/...; needs write access)')
    .description('create a folder')
    .action((path: string, o: { parents?: boolean; shared?: boolean }) =>
      run((ctx) => (o.shared ? sharing.mkdirShared(ctx, path) : tree.mkdir(ctx, path, o))),
    );
  program
    .command('put')
    .argument('<LOCAL...>', 'local files or folders (`-` = stdin, with --name), then the remote folder')
    .usage('[--name NAME] LOCAL... REMOTE_DIR')
    .option('--name <NAME>', 'remote file name for stdin')
    .option('--shared', 'REMOTE_DIR is in a folder shared with you (/NAME/...; needs write access)')
    .description('upload files and folders into REMOTE_DIR (resumes interrupted uploads)')
    .action((args: string[], o: { name?: string; shared?: boolean }) =>
      run((ctx) => (o.shared ? sharing.putShared(ctx, args, o) : transfer.put(ctx, args, o))),
    );
  program
    .command('get')
    .argument('<REMOTE>', 'remote path, or a link URL (https://HOST/l/ID#KEY: no account needed)')
    .argument('[LOCAL]', 'local path (`-` = stdout)')
    .description('download a file or folder (resumes an interrupted link download)')
    .option('--shared', 'REMOTE is in a folder shared with you (/NAME/...)')
    .action((remote: string, local: string | undefined, o: { shared?: boolean }) =>
      run((ctx) =>
        /^https?:\/\//i.test(remote)
          ? sharing.getLink(ctx, remote, local)
          : o.shared
            ? sharing.getShared(ctx, remote, local)
            : transfer.get(ctx, remote, local),
      ),
    );
  program
    .command('share')
    .argument('<PATH>', 'a folder of yours')
    .argument('<EMAIL>', 'the account to share it with')
    .option('--write', 'let them upload, rename, move and delete (to your trash) inside it')
    .description('share a folder with another account (read-only unless --write)')
    .action((path: string, email: string, o: { write?: boolean }) =>
      run((ctx) => sharing.share(ctx, path, email, o)),
    );
  program
    .command('shares')
    .description('list the folders you share and those shared with you')
    .addOption(json())
    .action((o: { json?: boolean }) => run((ctx) => sharing.shares(ctx, o)));
  program
    .command('unshare')
    .argument('<PATH>')
    .argument('<EMAIL>')
    .description('remove an account from a folder you share (it loses access at once)')
    .action((path: string, email: string) => run((ctx) => sharing.unshare(ctx, path, email)));
  program
    .command('invites')
    .argument('[ACTION]', 'ls (default), accept or decline')
    .argument('[ID]')
    .description('list invitations to shared folders, or accept or decline one')
    .addOption(json())
    .allowUnknownOption()
    .action((action: string | undefined, id: string | undefined, o: { json?: boolean }) =>
      run((ctx) => sharing.invites(ctx, action, id, o)),
    );
  program
    .command('contacts')
    .argument('[ACTION]', 'ls (default) or verify')
    .argument('[EMAIL]')
    .option('--yes', 'with verify: the safety numbers match, pin these keys')
    .description('pinned contacts; verify EMAIL shows the safety number to compare')
    .addOption(json())
    .action((action: string | undefined, email: string | undefined, o: { json?: boolean; yes?: boolean }) =>
      run((ctx) => sharing.contacts(ctx, action, email, o)),
    );
  program
    .command('link')
    .argument('<PATH>')
    .option('--password', 'ask for a password (or take HOARD_LINK_PASSWORD) that the link then needs too')
    .option('--expires <WHEN>', 'a duration (30m, 12h, 7d, 2w) or a date (2026-12-31)')
    .option('--max-downloads <N>', 'downloads allowed')
    .description('make a link to a file or folder and print its URL')
    .action((path: string, o: { password?: boolean; expires?: string; maxDownloads?: string }) =>
      run((ctx) => sharing.link(ctx, path, o)),
    );
  program
    .command('links')
    .description('list your links with their options and download counts')
    .addOption(json())
    .action((o: { json?: boolean }) => run((ctx) => sharing.links(ctx, o)));
  program
    .command('unlink')
    .argument('<URL|ID|PATH>', 'a link URL, a link id, or a path (every link to it)')
    .description('revoke a link')
    // Link ids are base64url and may begin with '-'.
    .allowUnknownOption()
    .action((target: string) => run((ctx) => sharing.unlink(ctx, target)));
  program
    .command('report')
    .argument('<URL>')
    .requiredOption('--reason <R>', 'illegal, copyright, malware, abuse, spam or other')
    .option('--note <TEXT>', 'what the operator should know')
    .description('report a link to the operator of its server')
    .action((url: string, o: { reason?: string; note?: string }) =>
      run((ctx) => sharing.report(ctx, url, o)),
    );
  program
    .command('mv')
    .argument('<SRC>')
    .argument('<DST>')
    .option('--shared', 'within a folder shared with you (/NAME/...; needs write access)')
    .description('move or rename')
    .action((src: string, dst: string, o: { shared?: boolean }) =>
      run((ctx) => (o.shared ? sharing.mvShared(ctx, src, dst) : tree.mv(ctx, src, dst))),
    );
  program
    .command('rm')
    .argument('<PATH...>')
    .option('--shared', "in a folder shared with you: to its owner's trash (needs write access)")
    .description('move to the trash')
    .action((paths: string[], o: { shared?: boolean }) =>
      run((ctx) => (o.shared ? sharing.rmShared(ctx, paths) : tree.rm(ctx, paths))),
    );
  program
    .command('trash')
    .argument('[ACTION]', 'ls (default), restore PATH, empty')
    .argument('[PATH]')
    .description('list, restore from or empty the trash')
    .addOption(json())
    .action((action: string | undefined, path: string | undefined, o: { json?: boolean }) =>
      run((ctx) => tree.trash(ctx, action, path, o)),
    );
  program
    .command('versions')
    .argument('<PATH>')
    .argument('[ACTION]', 'restore')
    .argument('[N]', 'version number from the listing')
    .description('list the versions of a file, or restore one')
    .addOption(json())
    .action((path: string, action: string | undefined, n: string | undefined, o: { json?: boolean }) =>
      run((ctx) => tree.versions(ctx, path, action, n, o)),
    );
  program
    .command('quota')
    .description('show used and free space')
    .addOption(json())
    .action((o: { json?: boolean }) => run((ctx) => account.quota(ctx, o)));
  program
    .command('plans')
    .description('list the plans and their prices in sats')
    .addOption(json())
    .action((o: { json?: boolean }) => run((ctx) => payment.plans(ctx, o)));
  program
    .command('upgrade')
    .argument('<PLAN>')
    .description('buy a plan: an invoice to pay in bitcoin (address, BIP21 URI, QR code); renewals stack')
    .addOption(json())
    .option('--wait', 'follow the invoice live until it is settled')
    .option('--interval <SECONDS>', 'seconds between two looks with --wait', '3')
    .action((plan: string, o: { json?: boolean; wait?: boolean; interval?: string }) =>
      run((ctx) => payment.upgrade(ctx, plan, o)),
    );
  program
    .command('invoices')
    .description('list your invoices')
    .addOption(json())
    .action((o: { json?: boolean }) => run((ctx) => payment.invoices(ctx, o)));
  program
    .command('sessions')
    .argument('[ACTION]', 'ls (default) or revoke')
    .argument('[ID]')
    .description('list sessions, or revoke one')
    .addOption(json())
    // Session ids are base64url and may begin with '-': take such a word as the ID, not as an option.
    .allowUnknownOption()
    .action((action: string | undefined, id: string | undefined, o: { json?: boolean }) =>
      run((ctx) => account.sessions(ctx, action, id, o)),
    );
  program
    .command('passwd')
    .description('change the password')
    .action(() => run((ctx) => account.passwd(ctx)));
  program
    .command('recover')
    .argument('<EMAIL>')
    .description('set a new password with the recovery words')
    .action((email: string) => run((ctx) => account.recover(ctx, email)));
  program
    .command('delete-account')
    .option('--yes', 'do not ask to type the email')
    .description('delete the account and every file in it')
    .action((o: { yes?: boolean }) => run((ctx) => account.deleteAccount(ctx, o)));
  return program;
}

/** Runs `hoard` with `args` (without node and script); resolves to the exit code. */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const fail = (error: unknown): void => {
    if (error instanceof PromptCancelled) {
      io.stderr.write('hoard: cancelled\n');
      exitCode = 130;
      return;
    }
    io.stderr.write(`hoard: ${describeError(error)}\n`);
    exitCode = error instanceof CliError ? error.exitCode : 1;
  };
  const run = async (action: (ctx: CliContext) => Promise<void>): Promise<void> => {
    let ctx: CliContext | undefined;
    try {
      ctx = new CliContext(io);
      await action(ctx);
    } catch (error) {
      fail(error);
    } finally {
      await ctx?.close();
    }
  };
  if (args.length === 0) {
    io.stderr.write('hoard: no command given (see `hoard --help`)\n');
    return 2;
  }
  const program = buildProgram(io, run);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ||
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version'
        ? 0
        : 2;
    }
    fail(error);
  }
  return exitCode;
}
