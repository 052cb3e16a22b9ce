// Account commands: signup, login, logout, whoami, quota, sessions, passwd, recover, delete-account.

import { ApiError, normalizeEmail, type HoardSession } from '@hoard/client';
import { CliError, type CliContext } from '../cli-context.js';
import { formatBytes, formatDate, formatTable } from '../format.js';

export async function signup(ctx: CliContext, email: string, options: { json?: boolean }): Promise<void> {
  const password = await ctx.newPassword('HOARD_PASSWORD');
  const { session, recoveryWords } = await ctx.client.signup(email, password);
  await ctx.saveSession(session);
  if (options.json) {
    ctx.out(JSON.stringify({ email: session.email, userId: session.userId, recoveryWords }));
    return;
  }
  ctx.out(`Account created for ${session.email}; you are logged in.`);
  ctx.out('');
  ctx.out('Your recovery words (shown only this once):');
  ctx.out('');
  ctx.out(`  ${recoveryWords.join(' ')}`);
  ctx.out('');
  ctx.out('Write them down and keep them somewhere safe. Without them, a forgotten password means');
  ctx.out('your files are lost for good: nobody, not even the server operator, can decrypt them.');
}

export async function login(ctx: CliContext, email: string): Promise<void> {
  const password = await ctx.password();
  const previous = await ctx.savedSession();
  const session = await ctx.client.login(email, password);
  await ctx.saveSession(session);
  if (previous && previous.serverUrl === ctx.serverUrl && previous.sessionId !== session.sessionId) {
    try {
      await (await ctx.client.resume(previous)).logout();
    } catch {
      // the old session had already ended
    }
  }
  ctx.out(`Logged in as ${session.email}.`);
}

export async function logout(ctx: CliContext): Promise<void> {
  const saved = await ctx.savedSession();
  if (!saved) throw new CliError('not logged in');
  try {
    if (saved.serverUrl === ctx.serverUrl) await (await ctx.client.resume(saved)).logout();
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 'UNAUTHENTICATED')) throw error;
  }
  await ctx.home.deleteSession();
  ctx.out('Logged out.');
}

export async function whoami(ctx: CliContext, options: { json?: boolean }): Promise<void> {
  const session = await ctx.session();
  if (options.json) {
    ctx.out(
      JSON.stringify({
        email: session.email,
        userId: session.userId,
        server: ctx.serverUrl,
        sessionId: session.sessionId,
        sessionExpiresAt: session.expiresAt,
      }),
    );
    return;
  }
  ctx.out(`${session.email} on ${ctx.serverUrl}`);
}

export async function quota(ctx: CliContext, options: { json?: boolean }): Promise<void> {
  const session = await ctx.session();
  // The plan read applies a due lapse first, so the quota below is the one in force.
  const plan = await session.payments.accountPlan();
  const { quota: q } = await session.account();
  if (options.json) {
    ctx.out(
      JSON.stringify({
        usedBytes: q.usedBytes,
        quotaBytes: q.limitBytes,
        reservedBytes: q.reservedBytes,
        limitBytes: q.limitBytes,
        plan: plan.plan,
        planExpiresAt: plan.planExpiresAt,
        notice: plan.notice,
      }),
    );
    return;
  }
  const percent = q.limitBytes === 0 ? 100 : (q.usedBytes / q.limitBytes) * 100;
  ctx.out(`used      ${formatBytes(q.usedBytes)} of ${formatBytes(q.limitBytes)} (${percent.toFixed(1)}%)`);
  if (q.reservedBytes > 0) ctx.out(`reserved  ${formatBytes(q.reservedBytes)} (uploads in progress)`);
  ctx.out(`free      ${formatBytes(Math.max(0, q.limitBytes - q.usedBytes - q.reservedBytes))}`);
  ctx.out(
    `plan      ${plan.planName}${plan.planExpiresAt ? ` until ${formatDate(plan.planExpiresAt)}` : ''} (\`hoard plans\`, \`hoard upgrade PLAN\`)`,
  );
  if (plan.notice) ctx.note(`note: ${plan.notice}`);
}

export async function sessions(
  ctx: CliContext,
  action: string | undefined,
  id: string | undefined,
  options: { json?: boolean },
): Promise<void> {
  const session = await ctx.session();
  if (action === 'revoke') {
    if (!id) throw new CliError('usage: hoard sessions revoke ID', 2);
    await session.revokeSession(id);
    if (id === session.sessionId) await ctx.home.deleteSession();
    ctx.out(`Revoked session ${id}.`);
    return;
  }
  if (action !== undefined && action !== 'ls') throw new CliError(`unknown sessions action: ${action}`, 2);
  const list = await session.sessions();
  if (options.json) {
    ctx.out(JSON.stringify(list));
    return;
  }
  const rows = [['ID', 'CREATED', 'LAST SEEN', 'EXPIRES', '']];
  for (const s of list) {
    rows.push([
      s.id,
      formatDate(s.createdAt),
      formatDate(s.lastSeenAt),
      formatDate(s.expiresAt),
      s.current ? '(this one)' : '',
    ]);
  }
  ctx.out(formatTable(rows));
}

/** A fresh session (logged in seconds ago), as password changes and account deletion need. */
async function freshSession(ctx: CliContext, email: string): Promise<HoardSession> {
  const password = await ctx.password('Current password: ');
  return ctx.client.login(email, password);
}

export async function passwd(ctx: CliContext): Promise<void> {
  const current = await ctx.session();
  const fresh = await freshSession(ctx, current.email);
  const newPassword = await ctx.newPassword('HOARD_NEW_PASSWORD');
  await fresh.changePassword(newPassword);
  await ctx.saveSession(fresh);
  ctx.out('Password changed; every other session was logged out.');
}

export async function recover(ctx: CliContext, email: string): Promise<void> {
  let words = ctx.io.env.HOARD_RECOVERY_WORDS;
  if (words === undefined || words.trim() === '') {
    words = await ctx.ask('Recovery words (24, separated by spaces): ', false, 'HOARD_RECOVERY_WORDS');
  }
  const list = words
    .trim()
    .toLowerCase()
    .split(/[\s,]+/)
    .filter(Boolean);
  if (list.length !== 24) throw new CliError(`expected 24 recovery words, got ${list.length}`);
  const newPassword = await ctx.newPassword('HOARD_PASSWORD');
  let session: HoardSession;
  try {
    session = await ctx.client.recover(email, list, newPassword);
  } catch (error) {
    if (error instanceof Error && error.name === 'DecryptionError')
      throw new CliError('wrong recovery words');
    throw error;
  }
  await ctx.saveSession(session);
  ctx.out(`Account ${session.email} recovered with a new password; every other session was logged out.`);
}

export async function deleteAccount(ctx: CliContext, options: { yes?: boolean }): Promise<void> {
  const session = await ctx.session();
  if (!options.yes) {
    const typed = await ctx.ask(
      `This deletes ${session.email} and every file in it, for good. Type the email to confirm: `,
      false,
      'the --yes flag',
    );
    if (normalizeEmail(typed) !== session.email)
      throw new CliError('the email does not match; nothing was deleted');
  }
  try {
    await session.deleteAccount(session.email);
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 'REAUTH_REQUIRED')) throw error;
    await (await freshSession(ctx, session.email)).deleteAccount(session.email);
  }
  await ctx.home.deleteSession();
  await ctx.home.deleteResumeRecords(ctx.serverUrl, session.userId);
  ctx.out(`Account ${session.email} deleted.`);
}
