// Plan periods and the quota they give. Periods stack: each one starts when the previous ends (or
// when it was bought, if later), so a renewal extends the current period. The subscription row
// caches the result; users.quota_bytes is the plan's quota while a period runs and the free quota
// after it lapses. A lapse never deletes anything: uploads over the free quota are refused until
// the account frees space or pays again.
import type { Db } from '../../db/schema.js';
import { audit } from './audit-log.js';

const DAY_MS = 24 * 3600 * 1000;

export interface Subscription {
  planId: string;
  quotaBytes: number;
  expiresAt: number;
}

/** The plan the non-revoked periods give at `now` (undefined: none was ever bought or granted). */
export async function computeSubscription(db: Db, userId: string): Promise<Subscription | undefined> {
  const periods = await db
    .selectFrom('plan_periods')
    .select(['plan_id', 'quota_bytes', 'days', 'granted_at'])
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .orderBy('granted_at')
    .orderBy('id')
    .execute();
  let current: Subscription | undefined;
  for (const period of periods) {
    const start = Math.max(period.granted_at, current?.expiresAt ?? 0);
    current = {
      planId: period.plan_id,
      quotaBytes: period.quota_bytes,
      expiresAt: start + period.days * DAY_MS,
    };
  }
  return current;
}

/**
 * Recomputes an account's subscription from its periods and sets its quota; call it in the
 * transaction that added or revoked a period.
 */
export async function refreshSubscription(
  db: Db,
  userId: string,
  freeQuotaBytes: number,
  now: number,
): Promise<Subscription | undefined> {
  const sub = await computeSubscription(db, userId);
  if (!sub) {
    await db.deleteFrom('plan_subscriptions').where('user_id', '=', userId).execute();
    await db.updateTable('users').set({ quota_bytes: freeQuotaBytes }).where('id', '=', userId).execute();
    return undefined;
  }
  const active = sub.expiresAt > now;
  const row = {
    plan_id: sub.planId,
    quota_bytes: sub.quotaBytes,
    expires_at: sub.expiresAt,
    fallback_quota_bytes: freeQuotaBytes,
    lapsed: active ? 0 : 1,
  };
  const updated = await db
    .updateTable('plan_subscriptions')
    .set(row)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) {
    await db
      .insertInto('plan_subscriptions')
      .values({ user_id: userId, ...row })
      .execute();
  }
  await db
    .updateTable('users')
    .set({ quota_bytes: active ? sub.quotaBytes : freeQuotaBytes })
    .where('id', '=', userId)
    .execute();
  return sub;
}

/**
 * Applies due lapses: the quota falls back to the free quota. With `userId`, only that account's
 * (the upload path calls it first, so a lapse takes effect to the millisecond); returns how many lapsed.
 */
export async function applyDueLapses(db: Db, now: number, userId?: string): Promise<number> {
  let query = db
    .selectFrom('plan_subscriptions')
    .select(['user_id', 'plan_id', 'fallback_quota_bytes', 'expires_at'])
    .where('lapsed', '=', 0)
    .where('expires_at', '<=', now);
  if (userId !== undefined) query = query.where('user_id', '=', userId);
  const due = await query.limit(1000).execute();
  let lapsed = 0;
  for (const sub of due) {
    await db.transaction().execute(async (trx) => {
      const claimed = await trx
        .updateTable('plan_subscriptions')
        .set({ lapsed: 1 })
        .where('user_id', '=', sub.user_id)
        .where('lapsed', '=', 0)
        .where('expires_at', '<=', now)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) return;
      await trx
        .updateTable('users')
        .set({ quota_bytes: sub.fallback_quota_bytes })
        .where('id', '=', sub.user_id)
        .execute();
      await audit(
        trx,
        {
          event: 'plan.lapsed',
          userId: sub.user_id,
          details: { planId: sub.plan_id, expiredAt: sub.expires_at },
        },
        now,
      );
      lapsed++;
    });
  }
  return lapsed;
}
