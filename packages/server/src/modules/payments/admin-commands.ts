// Operator commands about payments: `hoard-server admin invoices [--json]` (every invoice with its
// account's e-mail, newest first) and `hoard-server admin grant EMAIL PLAN DAYS` (a plan period
// given for free, recorded in the ledger as a grant and in the audit log).
import { parseArgs } from 'node:util';
import { AdminUsageError, type AdminCommand } from '../../admin/admin-command.js';
import { PaymentService } from './payment-service.js';

/** `hoard-server admin invoices [--json]`. */
export const invoicesCommand: AdminCommand = {
  name: 'invoices',
  usage: '[--json]',
  summary: 'list invoices: account, plan, status, amount, paid and overpaid sats, dates',
  async run({ db, out }, args) {
    const { values } = parseArgs({ args: [...args], options: { json: { type: 'boolean' } }, strict: true });
    const rows = await db
      .selectFrom('invoices')
      .leftJoin('users', 'users.id', 'invoices.user_id')
      .select([
        'invoices.id',
        'invoices.user_id',
        'users.email',
        'invoices.plan_id',
        'invoices.provider',
        'invoices.provider_invoice_id',
        'invoices.status',
        'invoices.additional_status',
        'invoices.amount_sats',
        'invoices.paid_sats',
        'invoices.pending_sats',
        'invoices.address',
        'invoices.created_at',
        'invoices.expires_at',
        'invoices.settled_at',
      ])
      .orderBy('invoices.created_at', 'desc')
      .orderBy('invoices.id')
      .execute();
    const list = rows.map((r) => ({
      invoiceId: r.id,
      userId: r.user_id,
      email: r.email ?? null,
      planId: r.plan_id,
      provider: r.provider,
      providerInvoiceId: r.provider_invoice_id,
      status: r.status,
      additionalStatus: r.additional_status,
      amountSats: r.amount_sats,
      paidSats: r.paid_sats,
      pendingSats: r.pending_sats,
      overpaidSats: Math.max(0, r.paid_sats - r.amount_sats),
      address: r.address,
      createdAt: new Date(r.created_at).toISOString(),
      expiresAt: new Date(r.expires_at).toISOString(),
      settledAt: r.settled_at === null ? null : new Date(r.settled_at).toISOString(),
    }));
    if (values.json) {
      out(JSON.stringify(list));
      return;
    }
    for (const i of list) {
      const status = i.additionalStatus === 'none' ? i.status : `${i.status}/${i.additionalStatus}`;
      out(
        [
          i.invoiceId,
          i.email ?? `(deleted ${i.userId})`,
          i.planId,
          status,
          i.amountSats,
          i.paidSats,
          i.createdAt,
        ].join('\t'),
      );
    }
  },
};

/** `hoard-server admin grant EMAIL PLAN DAYS`. */
export const grantCommand: AdminCommand = {
  name: 'grant',
  usage: 'EMAIL PLAN DAYS',
  summary: 'give an account DAYS of a plan (stacks on its current period; recorded in the ledger as a grant)',
  async run({ config, db, clock, out }, args) {
    const { positionals } = parseArgs({ args: [...args], options: {}, strict: true, allowPositionals: true });
    const [email, planId, daysText] = positionals;
    if (positionals.length !== 3 || !email || !planId || !daysText) {
      throw new AdminUsageError('grant needs EMAIL, PLAN and DAYS');
    }
    if (!/^\d{1,4}$/.test(daysText)) throw new AdminUsageError('DAYS must be a whole number of days');
    const result = await new PaymentService({ config, db, clock }).grant(email, planId, Number(daysText));
    out(
      `granted ${daysText} days of ${planId} to ${email.trim().toLowerCase()}; the plan now runs until ${result.expiresAt}`,
    );
  },
};
