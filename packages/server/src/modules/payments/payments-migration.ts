// Migration 0005_payments: invoices and their payments, the double-entry ledger, plan periods and
// subscriptions, the append-only audit log, and the watch provider's view of the chain.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const payments: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('invoices')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('plan_id', 'text', (c) => c.notNull())
      .addColumn('plan_quota_bytes', 'bigint', (c) => c.notNull())
      .addColumn('plan_period_days', 'integer', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('provider_invoice_id', 'text', (c) => c.notNull())
      .addColumn('amount_sats', 'bigint', (c) => c.notNull())
      .addColumn('paid_sats', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('pending_sats', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('additional_status', 'text', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('bip21', 'text', (c) => c.notNull())
      .addColumn('lightning', 'text')
      .addColumn('checkout_link', 'text')
      .addColumn('derivation_index', 'bigint')
      .addColumn('settle_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('period_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('settled_at', 'bigint')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('synced_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('invoices_provider_id', ['provider', 'provider_invoice_id'])
      .execute();
    await db.schema.createIndex('invoices_user').on('invoices').columns(['user_id', 'created_at']).execute();
    await db.schema.createIndex('invoices_status').on('invoices').columns(['status', 'expires_at']).execute();
    // A derived address is never handed out twice.
    await db.schema.createIndex('invoices_address').on('invoices').column('address').unique().execute();

    await db.schema
      .createTable('invoice_payments')
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('payment_id', 'text', (c) => c.notNull())
      .addColumn('invoice_id', 'text', (c) => c.notNull().references('invoices.id'))
      .addColumn('amount_sats', 'bigint', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('late', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('block_hash', 'text')
      .addColumn('block_height', 'bigint')
      .addColumn('credit_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('seen_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('invoice_payments_pk', ['provider', 'payment_id'])
      .execute();
    await db.schema
      .createIndex('invoice_payments_invoice')
      .on('invoice_payments')
      .column('invoice_id')
      .execute();

    await db.schema
      .createTable('ledger_transactions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text')
      .addColumn('invoice_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('ledger_entries')
      .addColumn('transaction_id', 'text', (c) => c.notNull().references('ledger_transactions.id'))
      .addColumn('account', 'text', (c) => c.notNull())
      .addColumn('amount_sats', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('ledger_entries_pk', ['transaction_id', 'account'])
      .execute();
    await db.schema.createIndex('ledger_entries_account').on('ledger_entries').column('account').execute();

    await db.schema
      .createTable('plan_periods')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('plan_id', 'text', (c) => c.notNull())
      .addColumn('quota_bytes', 'bigint', (c) => c.notNull())
      .addColumn('days', 'integer', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('invoice_id', 'text')
      .addColumn('granted_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('plan_periods_user')
      .on('plan_periods')
      .columns(['user_id', 'granted_at'])
      .execute();

    await db.schema
      .createTable('plan_subscriptions')
      .addColumn('user_id', 'text', (c) => c.primaryKey())
      .addColumn('plan_id', 'text', (c) => c.notNull())
      .addColumn('quota_bytes', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('fallback_quota_bytes', 'bigint', (c) => c.notNull())
      .addColumn('lapsed', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createIndex('plan_subscriptions_due')
      .on('plan_subscriptions')
      .columns(['lapsed', 'expires_at'])
      .execute();

    await db.schema
      .createTable('payment_audit')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text')
      .addColumn('invoice_id', 'text')
      .addColumn('amount_sats', 'bigint')
      .addColumn('details', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('payment_audit_created').on('payment_audit').column('created_at').execute();

    await db.schema
      .createTable('chain_blocks')
      .addColumn('height', 'bigint', (c) => c.primaryKey())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('processed_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('chain_state')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },
};
