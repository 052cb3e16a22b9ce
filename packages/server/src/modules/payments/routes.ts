// HTTP routes of payments: plans, the account's plan, invoices (an account only ever sees its own:
// another's answers NOT_FOUND like a missing one), and BTCPay's webhook. Thin: parse, authenticate,
// call the PaymentService. The webhook route reads the raw body (the HMAC is over its bytes),
// checks BTCPay-Sig, and then only re-reads the named invoice from BTCPay: nothing in a webhook's
// body is trusted beyond "look at invoice X".
import {
  CreateInvoiceRequest,
  type AccountPlanResponse,
  type InvoiceResponse,
  type InvoicesResponse,
  type PlansResponse,
  type WebhookResponse,
} from '@hoard/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../../app-deps.js';
import { requireSession } from '../../auth.js';
import { AppError } from '../../errors.js';
import { idParam, parseWith } from '../../validation.js';
import { audit } from './audit-log.js';
import { BtcpayProvider, verifyBtcpaySignature, WebhookEventHint } from './btcpay/btcpay-provider.js';
import { ProviderRejectedError, ProviderUnavailableError } from './payment-provider.js';
import { PaymentService } from './payment-service.js';

export const paymentRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const service = new PaymentService({
    config: deps.config,
    db: deps.db,
    clock: deps.clock,
    provider: deps.paymentProvider,
  });

  app.get('/plans', (_request, reply) => reply.send(service.plans() satisfies PlansResponse));

  app.get('/account/plan', async (request): Promise<AccountPlanResponse> => {
    const { userId } = await requireSession(request);
    return { plan: await service.accountPlan(userId) };
  });

  app.post('/invoices', async (request, reply): Promise<InvoiceResponse> => {
    const { userId } = await requireSession(request);
    const { planId } = parseWith(CreateInvoiceRequest, request.body);
    const invoice = await service.createInvoice(userId, planId);
    void reply.code(201);
    return { invoice };
  });

  app.get('/invoices', async (request): Promise<InvoicesResponse> => {
    const { userId } = await requireSession(request);
    return { invoices: await service.listInvoices(userId) };
  });

  app.get('/invoices/:id', async (request): Promise<InvoiceResponse> => {
    const { userId } = await requireSession(request);
    return { invoice: await service.getInvoice(userId, idParam(request.params, 'id')) };
  });

  await app.register((webhooks, _options, done) => {
    // The HMAC covers the body's bytes: keep them as they came.
    webhooks.removeContentTypeParser('application/json');
    webhooks.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
      done(null, body);
    });

    webhooks.post('/payments/btcpay/webhook', async (request): Promise<WebhookResponse> => {
      const provider = deps.paymentProvider;
      if (!(provider instanceof BtcpayProvider)) {
        throw new AppError('PAYMENTS_DISABLED', 'this server does not use BTCPay Server');
      }
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const header = request.headers['btcpay-sig'];
      if (
        !verifyBtcpaySignature(provider.webhookSecret, raw, typeof header === 'string' ? header : undefined)
      ) {
        request.log.warn('BTCPay webhook with a missing or wrong signature');
        throw new AppError('WEBHOOK_SIGNATURE_INVALID', 'the BTCPay-Sig signature is missing or wrong');
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw.toString('utf8'));
      } catch (error) {
        throw new AppError('MALFORMED_JSON', undefined, { cause: error });
      }
      const hint = parseWith(WebhookEventHint, parsed);
      if (hint.invoiceId === undefined || hint.storeId !== provider.storeId) return { status: 'ignored' };
      const invoice = await service.findInvoiceByProviderId('btcpay', hint.invoiceId);
      if (!invoice) {
        await audit(
          deps.db,
          {
            event: 'webhook.unknown_invoice',
            details: { type: hint.type, providerInvoiceId: hint.invoiceId },
          },
          deps.clock.now(),
        );
        return { status: 'ignored' };
      }
      try {
        await service.refresh(invoice.id);
      } catch (error) {
        if (error instanceof ProviderUnavailableError || error instanceof ProviderRejectedError) {
          // BTCPay delivers again later; the invoice is re-read then (and by status reads meanwhile).
          throw new AppError('UNAVAILABLE', 'BTCPay could not be re-read; deliver again later', {
            cause: error,
            retryAfterSeconds: 30,
          });
        }
        throw error;
      }
      return { status: 'processed' };
    });
    done();
  });
};
