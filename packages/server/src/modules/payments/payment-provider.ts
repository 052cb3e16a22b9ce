// The one interface both payment providers implement (BTCPay Server's Greenfield API, and the
// built-in watch-only receiver), and the contract suite in provider-contract.ts that both pass.
// A provider creates invoices and reports what it sees; it never decides what is credited: the
// PaymentService reconciles the provider's view with the ledger, idempotently.
// Never: hold or ask for a key that can spend.

/** What the service asks a provider for. */
export interface ProviderInvoiceRequest {
  /** Hoard's invoice id (sent to BTCPay as the order id). */
  invoiceId: string;
  amountSats: number;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  /** Shown to the payer, e.g. "Hoard Pro, 30 days". */
  description: string;
}

/** A created invoice: where and how to pay. */
export interface ProviderInvoice {
  providerInvoiceId: string;
  address: string;
  bip21: string;
  lightning: string | null;
  checkoutLink: string | null;
  expiresAt: number;
  /** The BIP32 index of the address (watch provider), else null. */
  derivationIndex: number | null;
}

/** One payment as the provider sees it now. */
export interface ProviderPayment {
  /** Stable and unique per provider: `txid:vout` on chain, a payment id on Lightning. */
  paymentId: string;
  amountSats: number;
  /** pending: seen, not final; confirmed: final enough to credit; invalid: double-spent or replaced. */
  state: 'pending' | 'confirmed' | 'invalid';
  /** When it was received (ms). */
  receivedAt: number;
  /** The block the confirmation rests on (watch provider). */
  blockHash: string | null;
  blockHeight: number | null;
}

/** The operator's or the provider's own verdict on an invoice, beyond its payments. */
export type ProviderVerdict = 'none' | 'markedSettled' | 'markedInvalid' | 'invalid';

/** Everything a provider knows about one invoice. */
export interface ProviderInvoiceView {
  providerInvoiceId: string;
  amountSats: number;
  /**
   * Every payment of the invoice (a complete list: a previously credited payment missing from it
   * has been double-spent or reorganized away).
   */
  payments: ProviderPayment[];
  verdict: ProviderVerdict;
  /** The provider's status words, for the audit log (e.g. "Settled/PaidOver"). */
  providerStatus: string;
}

/** The stored invoice a provider is asked about. */
export interface StoredInvoiceRef {
  id: string;
  providerInvoiceId: string;
  address: string;
  derivationIndex: number | null;
  amountSats: number;
}

export interface PaymentProvider {
  readonly kind: 'btcpay' | 'watch';
  /** Creates an invoice at the provider. Throws ProviderUnavailableError when it cannot be reached. */
  createInvoice(request: ProviderInvoiceRequest): Promise<ProviderInvoice>;
  /**
   * The provider's current view of an invoice. Throws ProviderUnavailableError when the provider is
   * down or answers something that is not its API (nothing is credited on doubt), and
   * ProviderRejectedError when the invoice is not payable in sats (another currency).
   */
  readInvoice(invoice: StoredInvoiceRef): Promise<ProviderInvoiceView>;
}

/** The provider is down, slow, or answered garbage: try again later, credit nothing now. */
export class ProviderUnavailableError extends Error {
  override name = 'ProviderUnavailableError';
}

/** The provider answered, but with something Hoard refuses (an amount that is not sats, another currency). */
export class ProviderRejectedError extends Error {
  override name = 'ProviderRejectedError';
}
