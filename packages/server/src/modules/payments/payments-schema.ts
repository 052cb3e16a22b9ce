// The payment tables as Kysely sees them (migration 0005_payments). Amounts are integer satoshis in
// bigint columns, times are milliseconds since the epoch. Money rows are never deleted: invoices,
// payments, ledger and audit log outlive the account they belong to (user_id is not a foreign key).

export type InvoiceStatusColumn = 'new' | 'processing' | 'settled' | 'expired' | 'invalid';
export type AdditionalStatusColumn = 'none' | 'paidPartial' | 'paidOver' | 'paidLate' | 'marked' | 'invalid';
export type PaymentStateColumn = 'pending' | 'credited' | 'reversed' | 'invalid';

export interface InvoicesTable {
  id: string;
  user_id: string;
  plan_id: string;
  /** The plan as it was sold (name, quota, days): a later change of HOARD_PLANS does not rewrite it. */
  plan_quota_bytes: number;
  plan_period_days: number;
  provider: 'btcpay' | 'watch';
  provider_invoice_id: string;
  amount_sats: number;
  /** Sum of credited payments. */
  paid_sats: number;
  /** Sum of pending (seen, unconfirmed) payments. */
  pending_sats: number;
  status: InvoiceStatusColumn;
  additional_status: AdditionalStatusColumn;
  address: string;
  bip21: string;
  lightning: string | null;
  checkout_link: string | null;
  /** BIP32 index of the address (watch provider). */
  derivation_index: number | null;
  /** How many times the invoice bought its period (a reorg can undo one; the next settle is n+1). */
  settle_count: number;
  /** The plan period this invoice bought while it is settled. */
  period_id: string | null;
  created_at: number;
  expires_at: number;
  settled_at: number | null;
  updated_at: number;
  /** When the provider was last asked about it (status reads refresh at most every few seconds). */
  synced_at: number;
}

export interface InvoicePaymentsTable {
  provider: 'btcpay' | 'watch';
  /** The provider's payment id: `txid:vout` on chain, a payment hash on Lightning. */
  payment_id: string;
  invoice_id: string;
  amount_sats: number;
  state: PaymentStateColumn;
  /** 1 when it arrived after the invoice expired. */
  late: number;
  /** Block of the confirmation the credit rests on (watch provider), re-checked for reorgs. */
  block_hash: string | null;
  block_height: number | null;
  /** How many times it was credited (a reorg reverses, a new confirmation credits again). */
  credit_count: number;
  seen_at: number;
  updated_at: number;
}

export interface LedgerTransactionsTable {
  id: string;
  /** Unique: the same credit, reversal or purchase can never be posted twice. */
  idempotency_key: string;
  kind: 'payment' | 'reversal' | 'purchase' | 'purchase_reversal' | 'grant' | 'marked';
  user_id: string | null;
  invoice_id: string | null;
  created_at: number;
}

export interface LedgerEntriesTable {
  transaction_id: string;
  /** `world:bitcoin`, `user:<id>`, `revenue:plans`, `operator:grants`, `granted:plans`, `operator:marked`. */
  account: string;
  /** Signed; the entries of one transaction sum to zero. */
  amount_sats: number;
}

export interface PlanPeriodsTable {
  id: string;
  user_id: string;
  plan_id: string;
  quota_bytes: number;
  days: number;
  source: 'invoice' | 'grant';
  invoice_id: string | null;
  granted_at: number;
  /** Set when a reorg or the operator undid it; revoked periods no longer count. */
  revoked_at: number | null;
}

export interface PlanSubscriptionsTable {
  user_id: string;
  plan_id: string;
  quota_bytes: number;
  /** When the stacked periods end. */
  expires_at: number;
  /** The quota the account falls back to at the lapse (the free quota when it was computed). */
  fallback_quota_bytes: number;
  /** 1 once the lapse back to the free quota has been applied. */
  lapsed: number;
}

export interface PaymentAuditTable {
  id: string;
  created_at: number;
  /** e.g. invoice.created, payment.seen, payment.credited, payment.reversed, plan.granted, webhook.rejected */
  event: string;
  user_id: string | null;
  invoice_id: string | null;
  amount_sats: number | null;
  /** A small JSON object: ids and statuses, never secrets. */
  details: string;
}

export interface ChainBlocksTable {
  height: number;
  hash: string;
  processed_at: number;
}

export interface ChainStateTable {
  name: string;
  value: string;
}

export interface PaymentTables {
  invoices: InvoicesTable;
  invoice_payments: InvoicePaymentsTable;
  ledger_transactions: LedgerTransactionsTable;
  ledger_entries: LedgerEntriesTable;
  plan_periods: PlanPeriodsTable;
  plan_subscriptions: PlanSubscriptionsTable;
  payment_audit: PaymentAuditTable;
  chain_blocks: ChainBlocksTable;
  chain_state: ChainStateTable;
}
