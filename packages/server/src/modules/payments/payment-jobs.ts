// The payments' share of the background jobs (jobs.ts): plans whose period ended fall back to the
// free quota, and unpaid invoices whose time is up expire. Both idempotent, safe on many servers.
import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { Db } from '../../db/schema.js';
import { PaymentService } from './payment-service.js';
import { applyDueLapses } from './subscriptions.js';

export async function runPaymentJobs(deps: {
  config: Config;
  db: Db;
  clock: Clock;
}): Promise<{ lapsedPlans: number; expiredInvoices: number }> {
  const lapsedPlans = await applyDueLapses(deps.db, deps.clock.now());
  const expiredInvoices = await new PaymentService(deps).expireDue();
  return { lapsedPlans, expiredInvoices };
}
