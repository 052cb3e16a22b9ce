// Operator commands about accounts as a whole.
import { parseArgs } from 'node:util';
import type { AdminCommand } from './admin-command.js';

/** `hoard-server admin users [--json]`: every account with its usage, oldest first. */
export const usersCommand: AdminCommand = {
  name: 'users',
  usage: '[--json]',
  summary: 'list accounts: e-mail, used and quota bytes, creation date',
  async run({ db, out }, args) {
    const { values } = parseArgs({ args: [...args], options: { json: { type: 'boolean' } }, strict: true });
    const rows = await db
      .selectFrom('users')
      .select(['id', 'email', 'used_bytes', 'quota_bytes', 'created_at'])
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    const users = rows.map((row) => ({
      id: row.id,
      email: row.email,
      usedBytes: Number(row.used_bytes),
      quotaBytes: Number(row.quota_bytes),
      createdAt: new Date(Number(row.created_at)).toISOString(),
    }));
    if (values.json) {
      out(JSON.stringify(users));
      return;
    }
    for (const user of users) {
      out(`${user.email}\t${user.usedBytes}\t${user.quotaBytes}\t${user.createdAt}`);
    }
  },
};
