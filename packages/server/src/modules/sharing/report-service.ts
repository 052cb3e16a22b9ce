// Reports of links: anyone may report a link (a reason and an optional note); the operator reads
// them and disables links (one, or every link of an account) with `hoard-server admin`. A report
// stores no address of the reporter; a disabled link answers LINK_DISABLED to everyone.
import type { ReportLinkRequest } from '@hoard/protocol';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { randomId } from '../../secrets.js';

export interface StoredReport {
  id: string;
  linkId: string;
  ownerEmail: string | null;
  reason: string;
  note: string | null;
  createdAt: string;
  linkDisabled: boolean;
}

/** Stores a report of an existing link (whatever its state). */
export async function reportLink(
  db: Db,
  clock: Clock,
  linkId: string,
  request: ReportLinkRequest,
): Promise<{ id: string; createdAt: string }> {
  const link = await db
    .selectFrom('links')
    .select(['id', 'user_id'])
    .where('id', '=', linkId)
    .executeTakeFirst();
  if (!link) throw new AppError('NOT_FOUND', 'no such link');
  const id = randomId();
  const now = clock.now();
  await db
    .insertInto('link_reports')
    .values({
      id,
      link_id: link.id,
      owner_id: link.user_id,
      reason: request.reason,
      note: request.note?.trim() || null,
      created_at: now,
    })
    .execute();
  return { id, createdAt: new Date(now).toISOString() };
}

/** Every report, newest first, with the link's owner and whether the link is disabled. */
export async function listReports(db: Db): Promise<StoredReport[]> {
  const rows = await db
    .selectFrom('link_reports')
    .leftJoin('users', 'users.id', 'link_reports.owner_id')
    .leftJoin('links', 'links.id', 'link_reports.link_id')
    .select([
      'link_reports.id',
      'link_reports.link_id',
      'link_reports.reason',
      'link_reports.note',
      'link_reports.created_at',
      'users.email',
      'links.disabled_at',
    ])
    .orderBy('link_reports.created_at', 'desc')
    .orderBy('link_reports.id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    linkId: row.link_id,
    ownerEmail: row.email ?? null,
    reason: row.reason,
    note: row.note,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    linkDisabled: row.disabled_at !== null && row.disabled_at !== undefined,
  }));
}

/** Disables one link; returns whether it existed. Idempotent. */
export async function disableLink(db: Db, clock: Clock, linkId: string): Promise<boolean> {
  const link = await db
    .selectFrom('links')
    .select(['id', 'disabled_at'])
    .where('id', '=', linkId)
    .executeTakeFirst();
  if (!link) return false;
  if (link.disabled_at === null) {
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('links').set({ disabled_at: clock.now() }).where('id', '=', linkId).execute();
      await trx.deleteFrom('link_grants').where('link_id', '=', linkId).execute();
    });
  }
  return true;
}

/** Disables every link of the account with `email`; returns how many were newly disabled, or undefined for no such account. */
export async function disableAccountLinks(db: Db, clock: Clock, email: string): Promise<number | undefined> {
  const user = await db
    .selectFrom('users')
    .select('id')
    .where('email', '=', email.trim().toLowerCase())
    .executeTakeFirst();
  if (!user) return undefined;
  return db.transaction().execute(async (trx) => {
    const links = await trx
      .selectFrom('links')
      .select('id')
      .where('user_id', '=', user.id)
      .where('disabled_at', 'is', null)
      .execute();
    if (links.length === 0) return 0;
    const ids = links.map((l) => l.id);
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      await trx.updateTable('links').set({ disabled_at: clock.now() }).where('id', 'in', chunk).execute();
      await trx.deleteFrom('link_grants').where('link_id', 'in', chunk).execute();
    }
    return links.length;
  });
}
