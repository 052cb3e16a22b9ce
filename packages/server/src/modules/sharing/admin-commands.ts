// Operator commands about links: read reports, disable a link, disable every link of an account.
import { parseArgs } from 'node:util';
import { Id } from '@hoard/protocol';
import { AdminUsageError, type AdminCommand } from '../../admin/admin-command.js';
import { AppError } from '../../errors.js';
import { disableAccountLinks, disableLink, listReports } from './report-service.js';

/** `hoard-server admin reports [--json]`: every report of a link, newest first. */
export const reportsCommand: AdminCommand = {
  name: 'reports',
  usage: '[--json]',
  summary: 'list reports of links: date, link id, reason, owner, note',
  async run({ db, out }, args) {
    const { values } = parseArgs({ args: [...args], options: { json: { type: 'boolean' } }, strict: true });
    const reports = await listReports(db);
    if (values.json) {
      out(JSON.stringify(reports));
      return;
    }
    for (const r of reports) {
      const note = r.note === null ? '' : JSON.stringify(r.note);
      out(
        `${r.createdAt}\t${r.linkId}\t${r.reason}\t${r.ownerEmail ?? '-'}\t${r.linkDisabled ? 'disabled' : 'live'}\t${note}`,
      );
    }
  },
};

/** `hoard-server admin disable-link ID`: the link answers LINK_DISABLED from now on. */
export const disableLinkCommand: AdminCommand = {
  name: 'disable-link',
  usage: 'LINK_ID',
  summary: 'disable one link (it then says it was disabled by the operator)',
  async run({ db, clock, out }, args) {
    const [id, ...rest] = args;
    if (id === undefined || rest.length > 0) throw new AdminUsageError('give exactly one link id');
    // A pasted URL is accepted too: the id is the path segment after /l/ (the fragment is ignored).
    const linkId = /\/l\/([A-Za-z0-9_-]{22})(?:[#?]|$)/.exec(id)?.[1] ?? id;
    if (!Id.safeParse(linkId).success) throw new AdminUsageError('a link id is 22 base64url characters');
    if (!(await disableLink(db, clock, linkId))) throw new AppError('NOT_FOUND', `no link ${linkId}`);
    out(`disabled link ${linkId}`);
  },
};

/** `hoard-server admin disable-account-links EMAIL`: every link of that account is disabled. */
export const disableAccountLinksCommand: AdminCommand = {
  name: 'disable-account-links',
  usage: 'EMAIL',
  summary: 'disable every link of one account',
  async run({ db, clock, out }, args) {
    const [email, ...rest] = args;
    if (email === undefined || rest.length > 0) throw new AdminUsageError('give exactly one e-mail address');
    const count = await disableAccountLinks(db, clock, email);
    if (count === undefined) throw new AppError('NOT_FOUND', `no account ${email.trim().toLowerCase()}`);
    out(`disabled ${count} link(s) of ${email.trim().toLowerCase()}`);
  },
};

export const sharingAdminCommands: readonly AdminCommand[] = [
  reportsCommand,
  disableLinkCommand,
  disableAccountLinksCommand,
];
