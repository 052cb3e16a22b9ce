// The invoice state machine as one pure function: new -> processing -> settled | expired | invalid,
// with the additional status saying why (paid in part, paid more, paid late, marked, invalid).
// Inputs are sums of the invoice's payments and the provider's verdict; the PaymentService stores
// the result and derives the ledger postings from the change (settled or not).
import type { AdditionalStatusColumn, InvoiceStatusColumn } from './payments-schema.js';
import type { ProviderVerdict } from './payment-provider.js';

export interface StatusInput {
  amountSats: number;
  /** Credited (confirmed) payments. */
  paidSats: number;
  /** Seen, not yet confirmed. */
  pendingSats: number;
  /** Some payment that counted arrived after the expiry. */
  anyLate: boolean;
  /** Some payment was double-spent or reorganized away for good. */
  anyInvalid: boolean;
  expired: boolean;
  verdict: ProviderVerdict;
}

export interface StatusOutput {
  status: InvoiceStatusColumn;
  additionalStatus: AdditionalStatusColumn;
}

export function invoiceStatus(input: StatusInput): StatusOutput {
  const { amountSats, paidSats, pendingSats } = input;
  const seen = paidSats + pendingSats;
  if (input.verdict === 'markedInvalid') return { status: 'invalid', additionalStatus: 'marked' };
  if (paidSats >= amountSats) {
    if (paidSats > amountSats) return { status: 'settled', additionalStatus: 'paidOver' };
    return { status: 'settled', additionalStatus: input.anyLate ? 'paidLate' : 'none' };
  }
  if (input.verdict === 'markedSettled') return { status: 'settled', additionalStatus: 'marked' };
  if (seen >= amountSats) {
    return {
      status: 'processing',
      additionalStatus: seen > amountSats ? 'paidOver' : input.anyLate ? 'paidLate' : 'none',
    };
  }
  if (input.verdict === 'invalid' || (input.expired && input.anyInvalid)) {
    return { status: 'invalid', additionalStatus: 'invalid' };
  }
  const partial = seen > 0 ? 'paidPartial' : 'none';
  if (input.expired) return { status: 'expired', additionalStatus: partial };
  return { status: 'new', additionalStatus: partial };
}
