// A local stand-in for BTCPay Server's Greenfield API, for tests and benchmarks only: the endpoints
// Hoard uses (Invoices_CreateInvoice, Invoices_GetInvoice, Invoices_GetInvoicePaymentMethods) and
// the invoice webhooks, shaped exactly as shared/specs/btcpay-greenfield says (a test validates
// every answer and webhook body against those schemas). Tests drive it: pay on chain or over
// Lightning, confirm, invalidate (double spend), expire, mark, replay webhooks, go down or answer
// garbage. Invoice state follows BTCPay's rules: New (PaidPartial) -> Processing -> Settled
// (PaidOver, PaidLate), Expired (PaidPartial), Invalid; Marked by the operator.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { btcpaySignature } from '../btcpay/btcpay-provider.js';
import { btcToSats, satsToBtc } from '../sats.js';

type Status = 'New' | 'Processing' | 'Expired' | 'Invalid' | 'Settled';
type Additional = 'None' | 'PaidLate' | 'PaidPartial' | 'Marked' | 'Invalid' | 'PaidOver';
type Method = 'BTC-CHAIN' | 'BTC-LN';

interface FakePayment {
  id: string;
  method: Method;
  valueSats: number;
  status: 'Invalid' | 'Processing' | 'Settled';
  receivedDate: number;
  destination: string;
  afterExpiration: boolean;
}

interface FakeInvoice {
  id: string;
  storeId: string;
  amountSats: number;
  currency: string;
  metadata: Record<string, unknown>;
  createdTime: number;
  expirationTime: number;
  monitoringExpiration: number;
  status: Status;
  additionalStatus: Additional;
  marked: boolean;
  address: string;
  bolt11: string | null;
  payments: FakePayment[];
}

export interface Delivery {
  deliveryId: string;
  body: string;
  headers: Record<string, string>;
  status: number | 'error';
}

export interface GreenfieldOptions {
  apiKey: string;
  storeId: string;
  webhookSecret: string;
  /** Offer a Lightning payment method (BTC-LN) beside on-chain. */
  lightning?: boolean;
  /** Where webhooks go; absent: they are only recorded (tests can deliver them by hand). */
  deliver?: ((body: string, headers: Record<string, string>) => Promise<number>) | undefined;
  /** Seconds since the epoch. */
  now?: () => number;
}

const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const randomChars = (n: number, alphabet: string) =>
  Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join('');
const invoiceIdOf = () => randomChars(22, '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz');

export class GreenfieldServer {
  readonly invoices = new Map<string, FakeInvoice>();
  readonly deliveries: Delivery[] = [];
  /** Every request, as `METHOD path`. */
  readonly requests: string[] = [];
  mode: 'up' | 'down' | 'garbage' = 'up';
  #server: Server | undefined;
  #url = '';
  #options: GreenfieldOptions;

  constructor(options: GreenfieldOptions) {
    this.#options = options;
  }

  get url(): string {
    return this.#url;
  }

  set deliver(deliver: GreenfieldOptions['deliver']) {
    this.#options = { ...this.#options, deliver };
  }

  #now(): number {
    return this.#options.now?.() ?? Math.floor(Date.now() / 1000);
  }

  async start(): Promise<string> {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 'internal', message: String(error) }));
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.#url;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- what BTCPay answers ----

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push(`${req.method} ${url.pathname}`);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (this.mode === 'down') return send(503);
    if (this.mode === 'garbage') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('<html>502 bad gateway</html>');
      return;
    }
    if (req.headers.authorization !== `token ${this.#options.apiKey}`) {
      return send(401, {
        code: 'unauthenticated',
        message: 'Authentication is required for accessing this endpoint',
      });
    }
    let match = /^\/api\/v1\/stores\/([^/]+)\/invoices$/.exec(url.pathname);
    if (match && req.method === 'POST') {
      if (decodeURIComponent(match[1] ?? '') !== this.#options.storeId) return send(403);
      return this.#create(Buffer.concat(chunks).toString('utf8'), send);
    }
    match = /^\/api\/v1\/invoices\/([^/]+)(\/payment-methods)?$/.exec(url.pathname);
    if (match && req.method === 'GET') {
      const invoice = this.invoices.get(decodeURIComponent(match[1] ?? ''));
      if (!invoice) return send(404, { code: 'invoice-not-found', message: 'The invoice was not found' });
      this.#tick(invoice);
      if (match[2]) {
        const onlyAccounted = url.searchParams.get('onlyAccountedPayments') !== 'false';
        return send(200, this.paymentMethodsData(invoice, onlyAccounted));
      }
      return send(200, this.invoiceData(invoice));
    }
    return send(404, { code: 'not-found', message: 'no such endpoint' });
  }

  #create(text: string, send: (status: number, body?: unknown) => void): void {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return send(400, [{ path: '', message: 'The request body is not valid JSON' }]);
    }
    const errors: { path: string; message: string }[] = [];
    const currency = typeof body.currency === 'string' && body.currency !== '' ? body.currency : 'BTC';
    let amountSats = 0;
    if (typeof body.amount !== 'string')
      errors.push({ path: 'amount', message: 'amount must be a decimal string' });
    else if (currency !== 'BTC') errors.push({ path: 'currency', message: 'this store prices in BTC only' });
    else {
      try {
        amountSats = btcToSats(body.amount);
      } catch {
        errors.push({ path: 'amount', message: 'amount must be a positive BTC amount' });
      }
    }
    if (errors.length) return send(400, errors);
    const checkout = (body.checkout ?? {}) as { expirationMinutes?: number; monitoringMinutes?: number };
    const now = this.#now();
    const invoice: FakeInvoice = {
      id: invoiceIdOf(),
      storeId: this.#options.storeId,
      amountSats,
      currency,
      metadata: (body.metadata ?? {}) as Record<string, unknown>,
      createdTime: now,
      expirationTime: now + 60 * (checkout.expirationMinutes ?? 15),
      monitoringExpiration:
        now + 60 * ((checkout.expirationMinutes ?? 15) + (checkout.monitoringMinutes ?? 1440)),
      status: 'New',
      additionalStatus: 'None',
      marked: false,
      address: `bcrt1q${randomChars(38, BECH32)}`,
      bolt11: this.#options.lightning
        ? `lnbcrt${randomChars(20, '0123456789')}n1p${randomChars(180, BECH32)}`
        : null,
      payments: [],
    };
    this.invoices.set(invoice.id, invoice);
    send(200, this.invoiceData(invoice));
    void this.#event(invoice, 'InvoiceCreated', {});
  }

  /** InvoiceData, exactly the fields of the OpenAPI schema. */
  invoiceData(invoice: FakeInvoice): Record<string, unknown> {
    return {
      id: invoice.id,
      storeId: invoice.storeId,
      amount: satsToBtc(invoice.amountSats),
      paidAmount: satsToBtc(this.#paid(invoice, false)),
      currency: invoice.currency,
      type: 'Standard',
      checkoutLink: `${this.#url}/i/${invoice.id}`,
      createdTime: invoice.createdTime,
      expirationTime: invoice.expirationTime,
      monitoringExpiration: invoice.monitoringExpiration,
      status: invoice.status,
      additionalStatus: invoice.additionalStatus,
      availableStatusesForManualMarking:
        invoice.status === 'Settled'
          ? ['Invalid']
          : invoice.status === 'Invalid'
            ? ['Settled']
            : ['Settled', 'Invalid'],
      archived: false,
      metadata: invoice.metadata,
      checkout: {
        speedPolicy: 'MediumSpeed',
        paymentMethods: this.#methods(invoice),
        defaultPaymentMethod: 'BTC-CHAIN',
        lazyPaymentMethods: false,
        expirationMinutes: Math.round((invoice.expirationTime - invoice.createdTime) / 60),
        monitoringMinutes: Math.round((invoice.monitoringExpiration - invoice.expirationTime) / 60),
        paymentTolerance: 0,
        redirectURL: null,
        redirectAutomatically: false,
        defaultLanguage: null,
      },
      receipt: { enabled: true, showQR: null, showPayments: null },
    };
  }

  #methods(invoice: FakeInvoice): Method[] {
    return invoice.bolt11 ? ['BTC-CHAIN', 'BTC-LN'] : ['BTC-CHAIN'];
  }

  /** InvoicePaymentMethodDataModel[], exactly the fields of the OpenAPI schema. */
  paymentMethodsData(invoice: FakeInvoice, onlyAccounted: boolean): Record<string, unknown>[] {
    const total = this.#paid(invoice, false);
    return this.#methods(invoice).map((method) => {
      const payments = invoice.payments.filter(
        (p) => p.method === method && (!onlyAccounted || p.status !== 'Invalid'),
      );
      const mine = payments.filter((p) => p.status !== 'Invalid').reduce((sum, p) => sum + p.valueSats, 0);
      const destination = method === 'BTC-CHAIN' ? invoice.address : (invoice.bolt11 ?? '');
      const dueSats = invoice.amountSats - total;
      return {
        paymentMethodId: method,
        currency: 'BTC',
        destination,
        paymentLink:
          method === 'BTC-CHAIN'
            ? `bitcoin:${invoice.address}?amount=${satsToBtc(Math.max(0, dueSats))}`
            : `lightning:${destination}`,
        rate: '1',
        paymentMethodPaid: satsToBtc(mine),
        totalPaid: satsToBtc(total),
        due: dueSats < 0 ? `-${satsToBtc(-dueSats)}` : satsToBtc(dueSats),
        amount: satsToBtc(invoice.amountSats),
        paymentMethodFee: '0',
        payments: payments.map((p) => this.#paymentData(p)),
        activated: true,
        additionalData:
          method === 'BTC-CHAIN'
            ? { keyPath: '0/1', payjoinEnabled: false, recommendedFeeRate: '1.0', paymentMethodFeeRate: '0' }
            : {},
      };
    });
  }

  #paymentData(p: FakePayment): Record<string, unknown> {
    return {
      id: p.id,
      receivedDate: p.receivedDate,
      value: satsToBtc(p.valueSats),
      fee: '0',
      status: p.status,
      destination: p.destination,
    };
  }

  /** Sum of payments that count (not Invalid); `settledOnly` for confirmed ones. */
  #paid(invoice: FakeInvoice, settledOnly: boolean): number {
    return invoice.payments
      .filter((p) => (settledOnly ? p.status === 'Settled' : p.status !== 'Invalid'))
      .reduce((sum, p) => sum + p.valueSats, 0);
  }

  // ---- BTCPay's invoice rules ----

  /** Expiry by time, as BTCPay's invoice watcher does when it looks at an invoice. */
  #tick(invoice: FakeInvoice): void {
    if (invoice.status === 'New' && this.#now() >= invoice.expirationTime) this.#recompute(invoice);
  }

  #recompute(invoice: FakeInvoice): Array<[string, Record<string, unknown>]> {
    if (invoice.marked) return [];
    const before = invoice.status;
    const seen = this.#paid(invoice, false);
    const settled = this.#paid(invoice, true);
    const expired = this.#now() >= invoice.expirationTime;
    const late = invoice.payments.some((p) => p.afterExpiration && p.status !== 'Invalid');
    const events: Array<[string, Record<string, unknown>]> = [];
    if (seen >= invoice.amountSats) {
      const over = seen > invoice.amountSats;
      invoice.additionalStatus = over ? 'PaidOver' : late ? 'PaidLate' : 'None';
      invoice.status = settled >= invoice.amountSats ? 'Settled' : 'Processing';
      if (invoice.status !== before) {
        events.push(
          invoice.status === 'Settled'
            ? ['InvoiceSettled', { manuallyMarked: false, overPaid: over }]
            : ['InvoiceProcessing', { overPaid: over }],
        );
      }
    } else if (before === 'Processing' || before === 'Settled') {
      // A payment it counted was double-spent.
      invoice.status = 'Invalid';
      invoice.additionalStatus = 'Invalid';
      events.push(['InvoiceInvalid', { manuallyMarked: false }]);
    } else {
      invoice.additionalStatus = seen > 0 ? 'PaidPartial' : 'None';
      if (expired && before === 'New') {
        invoice.status = 'Expired';
        events.push(['InvoiceExpired', { partiallyPaid: seen > 0 }]);
      }
    }
    return events;
  }

  async #emit(invoice: FakeInvoice, events: Array<[string, Record<string, unknown>]>): Promise<void> {
    for (const [type, extra] of events) await this.#event(invoice, type, extra);
  }

  /** A payment arrives (unconfirmed on chain; Lightning payments settle at once). Returns its id. */
  async pay(invoiceId: string, sats: number, method: Method = 'BTC-CHAIN'): Promise<string> {
    const invoice = this.#get(invoiceId);
    if (method === 'BTC-LN' && !invoice.bolt11) throw new Error('this invoice has no Lightning method');
    const id =
      method === 'BTC-CHAIN'
        ? `${randomBytes(32).toString('hex')}-${(randomBytes(1)[0] ?? 0) % 4}`
        : randomBytes(32).toString('hex');
    const payment: FakePayment = {
      id,
      method,
      valueSats: sats,
      status: method === 'BTC-LN' ? 'Settled' : 'Processing',
      receivedDate: this.#now(),
      destination: method === 'BTC-CHAIN' ? invoice.address : (invoice.bolt11 ?? ''),
      afterExpiration: this.#now() >= invoice.expirationTime,
    };
    invoice.payments.push(payment);
    await this.#event(invoice, 'InvoiceReceivedPayment', {
      afterExpiration: payment.afterExpiration,
      paymentMethodId: method,
      payment: this.#paymentData(payment),
    });
    if (payment.status === 'Settled') {
      await this.#event(invoice, 'InvoicePaymentSettled', {
        afterExpiration: payment.afterExpiration,
        paymentMethodId: method,
        payment: this.#paymentData(payment),
      });
    }
    await this.#emit(invoice, this.#recompute(invoice));
    return id;
  }

  /** The payment reaches the store's confirmations. */
  async confirm(invoiceId: string, paymentId?: string): Promise<void> {
    const invoice = this.#get(invoiceId);
    for (const payment of invoice.payments) {
      if (payment.status !== 'Processing' || (paymentId !== undefined && payment.id !== paymentId)) continue;
      payment.status = 'Settled';
      await this.#event(invoice, 'InvoicePaymentSettled', {
        afterExpiration: payment.afterExpiration,
        paymentMethodId: payment.method,
        payment: this.#paymentData(payment),
      });
    }
    await this.#emit(invoice, this.#recompute(invoice));
  }

  /** The payment was double-spent (or RBF'd away). */
  async invalidate(invoiceId: string, paymentId: string): Promise<void> {
    const invoice = this.#get(invoiceId);
    const payment = invoice.payments.find((p) => p.id === paymentId);
    if (!payment) throw new Error('no such payment');
    payment.status = 'Invalid';
    await this.#emit(invoice, this.#recompute(invoice));
  }

  /** Time passes: BTCPay's watcher expires the invoice (if unpaid) and sends InvoiceExpired. */
  async expire(invoiceId: string): Promise<void> {
    const invoice = this.#get(invoiceId);
    invoice.expirationTime = Math.min(invoice.expirationTime, this.#now());
    await this.#emit(invoice, this.#recompute(invoice));
  }

  /** The operator marks the invoice (Invoices_MarkInvoiceStatus). */
  async mark(invoiceId: string, status: 'Settled' | 'Invalid'): Promise<void> {
    const invoice = this.#get(invoiceId);
    invoice.marked = true;
    invoice.status = status;
    invoice.additionalStatus = 'Marked';
    await this.#event(
      invoice,
      status === 'Settled' ? 'InvoiceSettled' : 'InvoiceInvalid',
      status === 'Settled' ? { manuallyMarked: true, overPaid: false } : { manuallyMarked: true },
    );
  }

  /** Sends a recorded delivery again (isRedelivery), as the "redeliver" button does. */
  async redeliver(deliveryId: string): Promise<number | 'error'> {
    const original = this.deliveries.find((d) => d.deliveryId === deliveryId);
    if (!original) throw new Error('no such delivery');
    const event = JSON.parse(original.body) as Record<string, unknown>;
    const body = JSON.stringify({
      ...event,
      deliveryId: randomChars(22, BECH32),
      isRedelivery: true,
      originalDeliveryId: deliveryId,
    });
    return this.#send(body);
  }

  #get(invoiceId: string): FakeInvoice {
    const invoice = this.invoices.get(invoiceId);
    if (!invoice) throw new Error(`no invoice ${invoiceId}`);
    return invoice;
  }

  async #event(invoice: FakeInvoice, type: string, extra: Record<string, unknown>): Promise<void> {
    const deliveryId = randomChars(22, BECH32);
    const body = JSON.stringify({
      deliveryId,
      webhookId: 'hoard-webhook',
      originalDeliveryId: deliveryId,
      isRedelivery: false,
      type,
      timestamp: this.#now(),
      storeId: invoice.storeId,
      invoiceId: invoice.id,
      metadata: invoice.metadata,
      ...extra,
    });
    await this.#send(body, deliveryId);
  }

  async #send(body: string, deliveryId?: string): Promise<number | 'error'> {
    const headers = {
      'content-type': 'application/json',
      'btcpay-sig': btcpaySignature(this.#options.webhookSecret, body),
    };
    let status: number | 'error' = 'error';
    if (this.#options.deliver) {
      try {
        status = await this.#options.deliver(body, headers);
      } catch {
        status = 'error';
      }
    }
    const id = deliveryId ?? (JSON.parse(body) as { deliveryId: string }).deliveryId;
    this.deliveries.push({ deliveryId: id, body, headers, status });
    return status;
  }
}
