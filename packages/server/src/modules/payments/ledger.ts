// The double-entry ledger, in integer satoshis. Every transaction's entries sum to zero, so the
// balances of all accounts always sum to zero; each transaction has a unique idempotency key, so a
// credit, reversal or purchase can never be posted twice (a replay hits the UNIQUE constraint and
// is reported as "already posted"). Accounts:
//   world:bitcoin     coins that came in from the chain / Lightning (negative: what was received)
//   user:<id>         an account's prepaid sats (payments in, plan purchases out; overpayments stay)
//   revenue:plans     plan sales
//   operator:marked   what the operator waived by marking an invoice settled in BTCPay
//   operator:grants   the value of plan periods the operator granted (`admin grant`)
//   granted:plans     the other side of grants
// Never: update or delete a row here (corrections are new transactions).
import type { Db } from '../../db/schema.js';
import { isUniqueViolation } from '../../errors.js';
import { randomId } from '../../secrets.js';
import type { LedgerTransactionsTable } from './payments-schema.js';

export const WORLD = 'world:bitcoin';
export const REVENUE = 'revenue:plans';
export const OPERATOR_MARKED = 'operator:marked';
export const OPERATOR_GRANTS = 'operator:grants';
export const GRANTED = 'granted:plans';
export const userAccount = (userId: string): string => `user:${userId}`;

export interface Posting {
  idempotencyKey: string;
  kind: LedgerTransactionsTable['kind'];
  userId: string | null;
  invoiceId: string | null;
  /** account -> signed amount; must sum to zero. */
  entries: Record<string, number>;
}

/** Thrown for a posting that does not balance (a bug, never user input). */
export class UnbalancedPostingError extends Error {
  override name = 'UnbalancedPostingError';
}

/**
 * Posts one balanced transaction inside `trx`; returns false (posting nothing) when its key was
 * already posted. Call it inside a transaction that also records why (payment state, invoice).
 */
export async function post(trx: Db, posting: Posting, now: number): Promise<boolean> {
  const entries = Object.entries(posting.entries).filter(([, amount]) => amount !== 0);
  let sum = 0;
  for (const [, amount] of entries) {
    if (!Number.isSafeInteger(amount)) throw new UnbalancedPostingError(`not whole satoshis: ${amount}`);
    sum += amount;
  }
  if (sum !== 0) throw new UnbalancedPostingError(`${posting.idempotencyKey} does not balance (${sum})`);
  const existing = await trx
    .selectFrom('ledger_transactions')
    .select('id')
    .where('idempotency_key', '=', posting.idempotencyKey)
    .executeTakeFirst();
  if (existing) return false;
  const id = randomId();
  try {
    await trx
      .insertInto('ledger_transactions')
      .values({
        id,
        idempotency_key: posting.idempotencyKey,
        kind: posting.kind,
        user_id: posting.userId,
        invoice_id: posting.invoiceId,
        created_at: now,
      })
      .execute();
  } catch (error) {
    // A concurrent transaction posted the same key first: on PostgreSQL this transaction is now
    // aborted and its caller retries; the retry finds the key and posts nothing.
    if (isUniqueViolation(error)) throw new AlreadyPostedError(posting.idempotencyKey, { cause: error });
    throw error;
  }
  if (entries.length > 0) {
    await trx
      .insertInto('ledger_entries')
      .values(entries.map(([account, amount]) => ({ transaction_id: id, account, amount_sats: amount })))
      .execute();
  }
  return true;
}

/** A concurrent writer posted the same idempotency key; the whole unit of work is retried. */
export class AlreadyPostedError extends Error {
  override name = 'AlreadyPostedError';
  constructor(key: string, options?: ErrorOptions) {
    super(`ledger key ${key} was posted concurrently`, options);
  }
}

/** The balance of every account with entries. */
export async function balances(db: Db): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('ledger_entries')
    .select(['account', (eb) => eb.fn.sum<number>('amount_sats').as('balance')])
    .groupBy('account')
    .execute();
  return new Map(rows.map((r) => [r.account, Number(r.balance)]));
}

/** The balance of one account. */
export async function balanceOf(db: Db, account: string): Promise<number> {
  const row = await db
    .selectFrom('ledger_entries')
    .select((eb) => eb.fn.sum<number>('amount_sats').as('balance'))
    .where('account', '=', account)
    .executeTakeFirst();
  return Number(row?.balance ?? 0);
}
