// Plans and invoices: list the plans, buy one (an invoice to pay in bitcoin), follow an invoice
// until it settles, read the account's plan. Every answer is parsed with the protocol's schemas.
// Amounts are integer satoshis.

import {
  AccountPlanResponse,
  InvoiceResponse,
  InvoicesResponse,
  PlansResponse,
  type AccountPlan,
  type Invoice,
} from '@hoard/protocol';
import type { HttpClient } from './http-client.js';

export type { AccountPlan, Invoice, Plan, PlansResponse } from '@hoard/protocol';

/** Whether an invoice can still change by itself (a late payment can still settle an expired one). */
export function isOpenInvoice(invoice: Invoice): boolean {
  return invoice.status === 'new' || invoice.status === 'processing';
}

export interface WaitOptions {
  /** Between two reads (default 3 s). */
  intervalMs?: number;
  signal?: AbortSignal;
  /** Called with every read whose status, paid or pending amount changed. */
  onUpdate?: (invoice: Invoice) => void;
}

/** The payment routes of one session (or, for `plans()`, of no session at all). */
export class Payments {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** The plans on offer (the free plan first) and whether this server takes payments. */
  plans(): Promise<PlansResponse> {
    return this.#http.json('GET', '/plans', PlansResponse);
  }

  /** The account's plan, quota, usage and a notice ahead of a lapse. */
  async accountPlan(): Promise<AccountPlan> {
    return (await this.#http.json('GET', '/account/plan', AccountPlanResponse)).plan;
  }

  /** Creates an invoice for one period of `planId`. */
  async createInvoice(planId: string): Promise<Invoice> {
    return (await this.#http.json('POST', '/invoices', InvoiceResponse, { json: { planId } })).invoice;
  }

  /** The account's invoices, newest first. */
  async invoices(): Promise<Invoice[]> {
    return (await this.#http.json('GET', '/invoices', InvoicesResponse)).invoices;
  }

  /** One invoice (refreshed from the payment provider by the server while open). */
  async invoice(invoiceId: string): Promise<Invoice> {
    return (await this.#http.json('GET', `/invoices/${encodeURIComponent(invoiceId)}`, InvoiceResponse))
      .invoice;
  }

  /** Reads the invoice until it is settled, expired or invalid; resolves to its last state. */
  async waitForInvoice(invoiceId: string, options: WaitOptions = {}): Promise<Invoice> {
    let last = '';
    for (;;) {
      const invoice = await this.invoice(invoiceId);
      const key = `${invoice.status}/${invoice.additionalStatus}/${invoice.paidSats}/${invoice.pendingSats}`;
      if (key !== last) {
        last = key;
        options.onUpdate?.(invoice);
      }
      if (!isOpenInvoice(invoice)) return invoice;
      await sleep(options.intervalMs ?? 3000, options.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}
