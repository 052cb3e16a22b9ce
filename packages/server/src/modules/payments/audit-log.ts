// The append-only audit log of money events: invoices created, payments seen, credited and
// reversed, plans bought, granted and lapsed, webhooks rejected. Written in the same transaction as
// the event it records. Never: update or delete a row, or record a secret (API keys, signatures).
import type { Db } from '../../db/schema.js';
import { randomId } from '../../secrets.js';

export interface AuditEvent {
  event: string;
  userId?: string | null;
  invoiceId?: string | null;
  amountSats?: number | null;
  details?: Record<string, string | number | boolean | null>;
}

export async function audit(db: Db, event: AuditEvent, now: number): Promise<void> {
  await db
    .insertInto('payment_audit')
    .values({
      id: randomId(),
      created_at: now,
      event: event.event,
      user_id: event.userId ?? null,
      invoice_id: event.invoiceId ?? null,
      amount_sats: event.amountSats ?? null,
      details: JSON.stringify(event.details ?? {}),
    })
    .execute();
}
