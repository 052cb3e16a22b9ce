// The `btcpay` PaymentProvider: BTCPay Server's Greenfield API, as described by the OpenAPI files
// in shared/specs/btcpay-greenfield (Invoices_CreateInvoice, Invoices_GetInvoice,
// Invoices_GetInvoicePaymentMethods) and its webhooks (the BTCPay-Sig header). Invoices are in BTC
// with 8-decimal amounts converted to and from integer satoshis by string arithmetic; an invoice in
// any other currency is refused. A webhook is only a hint: the service re-reads the invoice through
// readInvoice before it credits anything.
// Never: log the API key or the webhook secret; credit from a webhook body.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import {
  ProviderRejectedError,
  ProviderUnavailableError,
  type PaymentProvider,
  type ProviderInvoice,
  type ProviderInvoiceRequest,
  type ProviderInvoiceView,
  type ProviderPayment,
  type ProviderVerdict,
  type StoredInvoiceRef,
} from '../payment-provider.js';
import { parseJson, ProviderHttpError, providerRequest, type ProviderHttpOptions } from '../provider-http.js';
import { bip21Uri, btcToSats, NotSatsError, satsToBtc } from '../sats.js';

export interface BtcpayOptions extends ProviderHttpOptions {
  /** e.g. https://btcpay.example.com (no trailing slash needed). */
  url: string;
  apiKey: string;
  storeId: string;
  webhookSecret: string;
  /** The clock of expirationMinutes (ms since the epoch). */
  now?: () => number;
}

/** The parts of InvoiceData (Greenfield) Hoard reads; the rest is ignored. */
const InvoiceData = z.object({
  id: z.string().min(1),
  storeId: z.string(),
  amount: z.string(),
  currency: z.string(),
  checkoutLink: z.string().optional(),
  createdTime: z.number(),
  expirationTime: z.number(),
  status: z.enum(['New', 'Processing', 'Expired', 'Invalid', 'Settled']),
  additionalStatus: z.enum(['None', 'PaidLate', 'PaidPartial', 'Marked', 'Invalid', 'PaidOver']),
});
type InvoiceData = z.infer<typeof InvoiceData>;

const Payment = z.object({
  id: z.string().min(1),
  receivedDate: z.number(),
  value: z.string(),
  status: z.enum(['Invalid', 'Processing', 'Settled']),
});

const PaymentMethod = z.object({
  paymentMethodId: z.string(),
  currency: z.string().optional(),
  destination: z.string(),
  paymentLink: z.string().nullable().optional(),
  payments: z.array(Payment),
  activated: z.boolean().optional(),
});
const PaymentMethods = z.array(PaymentMethod);
type PaymentMethod = z.infer<typeof PaymentMethod>;

const CHAIN = 'BTC-CHAIN';
const LIGHTNING = 'BTC-LN';

/**
 * Checks a webhook's `BTCPay-Sig: sha256=<hex HMAC-SHA256(secret, body)>` in constant time.
 *
 * @example
 * verifyBtcpaySignature(secret, rawBody, request.headers['btcpay-sig'])
 */
export function verifyBtcpaySignature(secret: string, body: Uint8Array, header: string | undefined): boolean {
  if (typeof header !== 'string' || !/^sha256=[0-9a-fA-F]{64}$/.test(header)) return false;
  const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest();
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The signature header BTCPay sends for `body` (fixtures and benchmarks sign with it). */
export function btcpaySignature(secret: string, body: Uint8Array | string): string {
  return `sha256=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex')}`;
}

/** The fields of a webhook event Hoard uses: which invoice to re-read. */
export const WebhookEventHint = z.object({
  type: z.string().min(1).max(100),
  storeId: z.string().max(200).optional(),
  invoiceId: z.string().min(1).max(200).optional(),
  deliveryId: z.string().max(200).optional(),
});
export type WebhookEventHint = z.infer<typeof WebhookEventHint>;

function amountSats(decimal: string, currency: string, what: string): number {
  try {
    if (currency.toUpperCase() === 'BTC') return btcToSats(decimal);
    if (currency.toUpperCase() === 'SATS' && /^\d{1,16}$/.test(decimal)) return Number(decimal);
  } catch (error) {
    if (error instanceof NotSatsError)
      throw new ProviderRejectedError(`${what} is not a whole number of satoshis`, { cause: error });
    throw error;
  }
  throw new ProviderRejectedError(`${what} is in ${currency.slice(0, 10)}, not in bitcoin`);
}

export class BtcpayProvider implements PaymentProvider {
  readonly kind = 'btcpay' as const;
  readonly #options: BtcpayOptions;
  readonly #base: string;

  constructor(options: BtcpayOptions) {
    this.#options = options;
    this.#base = options.url.replace(/\/+$/, '');
  }

  get webhookSecret(): string {
    return this.#options.webhookSecret;
  }

  get storeId(): string {
    return this.#options.storeId;
  }

  async #call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const text = await providerRequest(
      `${this.#base}${path}`,
      {
        method,
        idempotent: method === 'GET',
        headers: {
          authorization: `token ${this.#options.apiKey}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
      this.#options,
    ).catch((error: unknown) => {
      // A 4xx here means a wrong key, store or invoice id: an operator problem, not the payer's.
      if (error instanceof ProviderHttpError) {
        throw new ProviderUnavailableError(
          `BTCPay refused ${method} ${path.replace(/[^/]{20,}/g, '…')}: ${error.status}`,
          {
            cause: error,
          },
        );
      }
      throw error;
    });
    return parseJson(text);
  }

  #parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
    const result = schema.safeParse(value);
    if (!result.success)
      throw new ProviderUnavailableError(`BTCPay answered a malformed ${what}`, { cause: result.error });
    return result.data;
  }

  async #paymentMethods(invoiceId: string): Promise<PaymentMethod[]> {
    const value = await this.#call(
      'GET',
      `/api/v1/invoices/${encodeURIComponent(invoiceId)}/payment-methods?onlyAccountedPayments=false`,
    );
    return this.#parse(PaymentMethods, value, 'payment method list');
  }

  async createInvoice(request: ProviderInvoiceRequest): Promise<ProviderInvoice> {
    const now = this.#options.now?.() ?? Date.now();
    const expirationMinutes = Math.max(1, Math.ceil((request.expiresAt - now) / 60_000));
    const value = await this.#call(
      'POST',
      `/api/v1/stores/${encodeURIComponent(this.#options.storeId)}/invoices`,
      {
        amount: satsToBtc(request.amountSats),
        currency: 'BTC',
        metadata: { orderId: request.invoiceId, itemDesc: request.description },
        checkout: { expirationMinutes, speedPolicy: 'MediumSpeed' },
      },
    );
    const invoice = this.#parse(InvoiceData, value, 'invoice');
    if (amountSats(invoice.amount, invoice.currency, 'the invoice amount') !== request.amountSats) {
      throw new ProviderRejectedError('BTCPay created an invoice for another amount');
    }
    const methods = await this.#paymentMethods(invoice.id);
    const chain = methods.find((m) => m.paymentMethodId === CHAIN);
    if (!chain || chain.destination === '') {
      throw new ProviderRejectedError('the BTCPay store offers no on-chain payment method (BTC-CHAIN)');
    }
    const lightning = methods.find((m) => m.paymentMethodId === LIGHTNING)?.destination || null;
    return {
      providerInvoiceId: invoice.id,
      address: chain.destination,
      bip21: bip21Uri(chain.destination, request.amountSats, { lightning }),
      lightning,
      checkoutLink: invoice.checkoutLink ?? null,
      expiresAt: invoice.expirationTime * 1000,
      derivationIndex: null,
    };
  }

  async readInvoice(ref: StoredInvoiceRef): Promise<ProviderInvoiceView> {
    const value = await this.#call('GET', `/api/v1/invoices/${encodeURIComponent(ref.providerInvoiceId)}`);
    const invoice = this.#parse(InvoiceData, value, 'invoice');
    if (invoice.id !== ref.providerInvoiceId)
      throw new ProviderUnavailableError('BTCPay answered about another invoice');
    const methods = await this.#paymentMethods(invoice.id);
    const payments: ProviderPayment[] = [];
    for (const method of methods) {
      for (const payment of method.payments) {
        payments.push({
          // Payment ids are unique per payment method (a txid:vout or a Lightning payment hash).
          paymentId: `${method.paymentMethodId}:${payment.id}`,
          amountSats: amountSats(payment.value, method.currency ?? 'BTC', 'a payment'),
          state:
            payment.status === 'Settled'
              ? 'confirmed'
              : payment.status === 'Processing'
                ? 'pending'
                : 'invalid',
          receivedAt: payment.receivedDate * 1000,
          blockHash: null,
          blockHeight: null,
        });
      }
    }
    return {
      providerInvoiceId: invoice.id,
      amountSats: amountSats(invoice.amount, invoice.currency, 'the invoice amount'),
      payments,
      verdict: verdictOf(invoice),
      providerStatus: `${invoice.status}/${invoice.additionalStatus}`,
    };
  }
}

/** BTCPay's status and additional status as Hoard's verdict (payments decide everything else). */
function verdictOf(invoice: InvoiceData): ProviderVerdict {
  if (invoice.additionalStatus === 'Marked') {
    if (invoice.status === 'Settled') return 'markedSettled';
    if (invoice.status === 'Invalid') return 'markedInvalid';
  }
  if (invoice.status === 'Invalid') return 'invalid';
  return 'none';
}
