// Schemas of plans, invoices and the account's plan: bitcoin is the only way to pay, every amount is
// an integer number of satoshis (never a float, never a fiat amount), every time is ISO-8601.
import { z } from 'zod';
import { Id, SizeBytes, Timestamp } from './ids.js';

/** An amount of bitcoin in satoshis: a non-negative integer below 2^53. */
export const Sats = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export type Sats = z.infer<typeof Sats>;

/** The id of an invoice (chosen by the server). */
export const InvoiceId = Id.brand<'InvoiceId'>();
export type InvoiceId = z.infer<typeof InvoiceId>;

/** A plan's id as the operator names it in HOARD_PLANS (`free` is the built-in free plan). */
export const PlanId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'must be 1..32 of a-z, 0-9, _ and -, starting with a letter or digit');
export type PlanId = z.infer<typeof PlanId>;

/** A plan: its quota and, unless it is the free plan, its price per period. */
export const Plan = z.object({
  id: PlanId,
  name: z.string().min(1).max(100),
  quotaBytes: SizeBytes,
  /** 0 for the free plan. */
  priceSats: Sats,
  /** 0 for the free plan (it never lapses). */
  periodDays: z.number().int().min(0).max(3660),
});
export type Plan = z.infer<typeof Plan>;

/** Answer of `GET /plans`: the free plan first, then the operator's plans. */
export const PlansResponse = z.object({
  plans: z.array(Plan),
  /** Whether invoices can be created (a payment provider is configured). */
  paymentsEnabled: z.boolean(),
});
export type PlansResponse = z.infer<typeof PlansResponse>;

/** The lifecycle of an invoice (the same words as BTCPay Server's, in lower case). */
export const InvoiceStatus = z.enum(['new', 'processing', 'settled', 'expired', 'invalid']);
export type InvoiceStatus = z.infer<typeof InvoiceStatus>;

/** Why an invoice is in its status: paid in part, paid more, paid after expiry, marked by the operator. */
export const InvoiceAdditionalStatus = z.enum([
  'none',
  'paidPartial',
  'paidOver',
  'paidLate',
  'marked',
  'invalid',
]);
export type InvoiceAdditionalStatus = z.infer<typeof InvoiceAdditionalStatus>;

/** One payment seen for an invoice. */
export const InvoicePayment = z.object({
  /** The provider's id of the payment (`txid:vout` on chain, a payment hash on Lightning). */
  paymentId: z.string().min(1).max(200),
  amountSats: Sats,
  /** pending: seen, not confirmed yet; credited: counted; reversed: a reorg or double spend undid it. */
  state: z.enum(['pending', 'credited', 'reversed', 'invalid']),
  /** Arrived after the invoice expired (it still counts: the coins arrived). */
  late: z.boolean(),
  seenAt: Timestamp,
});
export type InvoicePayment = z.infer<typeof InvoicePayment>;

/** An invoice as its owner sees it. */
export const Invoice = z.object({
  invoiceId: InvoiceId,
  planId: PlanId,
  provider: z.enum(['btcpay', 'watch']),
  status: InvoiceStatus,
  additionalStatus: InvoiceAdditionalStatus,
  amountSats: Sats,
  /** Confirmed and counted. */
  paidSats: Sats,
  /** Seen but not confirmed yet. */
  pendingSats: Sats,
  /** What is left to pay (0 once paid in full; an underpaid invoice can be topped up until it expires). */
  dueSats: Sats,
  /** Paid beyond the amount (recorded for the operator). */
  overpaidSats: Sats,
  /** The on-chain address to pay. */
  address: z.string().min(1).max(100),
  /** `bitcoin:ADDRESS?amount=BTC[&lightning=BOLT11]` (BIP21). */
  bip21: z.string().min(1).max(4000),
  /** A BOLT11 Lightning invoice when the provider offers one. */
  lightning: z.string().max(4000).nullable(),
  /** BTCPay's checkout page, when the provider has one. */
  checkoutLink: z.string().max(2000).nullable(),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  settledAt: Timestamp.nullable(),
  payments: z.array(InvoicePayment),
});
export type Invoice = z.infer<typeof Invoice>;

/** Body of `POST /invoices`: the plan to buy (one period). */
export const CreateInvoiceRequest = z.object({ planId: PlanId });
export type CreateInvoiceRequest = z.infer<typeof CreateInvoiceRequest>;
/** Answer of `POST /invoices` and `GET /invoices/:id`. */
export const InvoiceResponse = z.object({ invoice: Invoice });
export type InvoiceResponse = z.infer<typeof InvoiceResponse>;
/** Answer of `GET /invoices`: newest first. */
export const InvoicesResponse = z.object({ invoices: z.array(Invoice) });
export type InvoicesResponse = z.infer<typeof InvoicesResponse>;

/** The account's plan and quota (`GET /account/plan`). */
export const AccountPlan = z.object({
  plan: PlanId,
  planName: z.string(),
  /** When the paid period ends (null on the free plan). */
  planExpiresAt: Timestamp.nullable(),
  quotaBytes: SizeBytes,
  usedBytes: SizeBytes,
  reservedBytes: SizeBytes,
  freeQuotaBytes: SizeBytes,
  /** Set when the plan lapses within the reminder window: what happens and how to renew. */
  notice: z.string().nullable(),
});
export type AccountPlan = z.infer<typeof AccountPlan>;
/** Answer of `GET /account/plan`. */
export const AccountPlanResponse = z.object({ plan: AccountPlan });
export type AccountPlanResponse = z.infer<typeof AccountPlanResponse>;

/** Answer of the BTCPay webhook route. */
export const WebhookResponse = z.object({ status: z.enum(['processed', 'ignored']) });
export type WebhookResponse = z.infer<typeof WebhookResponse>;
