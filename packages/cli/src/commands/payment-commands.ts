// Payment commands: plans, upgrade (an invoice with its amount, address, BIP21 URI and a QR code in
// the terminal; --wait follows it live until it settles), invoices. Amounts are integer satoshis.

import { isOpenInvoice, type Invoice } from '@hoard/client';
import QRCode from 'qrcode';
import { CliError, type CliContext } from '../cli-context.js';
import { formatBytes, formatDate, formatTable } from '../format.js';

/** 50000 -> "50,000 sats (0.0005 BTC)". */
export function formatSats(sats: number): string {
  const btc = (sats / 100_000_000).toFixed(8).replace(/\.?0+$/, '');
  return `${sats.toLocaleString('en-US')} sats (${btc} BTC)`;
}

function describeStatus(invoice: Invoice): string {
  const extra = invoice.additionalStatus === 'none' ? '' : ` (${invoice.additionalStatus})`;
  const parts = [`${invoice.status}${extra}`, `paid ${invoice.paidSats} sats`];
  if (invoice.pendingSats > 0) parts.push(`${invoice.pendingSats} sats waiting for confirmation`);
  if (invoice.dueSats > 0 && isOpenInvoice(invoice)) parts.push(`${invoice.dueSats} sats still due`);
  if (invoice.overpaidSats > 0) parts.push(`${invoice.overpaidSats} sats overpaid`);
  return parts.join(', ');
}

export async function plans(ctx: CliContext, options: { json?: boolean }): Promise<void> {
  const { plans: list, paymentsEnabled } = await ctx.client.plans();
  if (options.json) {
    ctx.out(JSON.stringify({ plans: list, paymentsEnabled }));
    return;
  }
  const rows = [['PLAN', 'NAME', 'QUOTA', 'PRICE', 'PERIOD']];
  for (const p of list) {
    rows.push([
      p.id,
      p.name,
      formatBytes(p.quotaBytes),
      p.priceSats === 0 ? 'free' : `${p.priceSats} sats`,
      p.periodDays === 0 ? '-' : `${p.periodDays} days`,
    ]);
  }
  ctx.out(formatTable(rows));
  if (!paymentsEnabled) ctx.note('(this server takes no payments at the moment)');
  else if (list.length > 1) ctx.note('Buy one with `hoard upgrade PLAN`.');
}

export async function upgrade(
  ctx: CliContext,
  planId: string,
  options: { json?: boolean; wait?: boolean; interval?: string },
): Promise<void> {
  const intervalSeconds = Number(options.interval ?? '3');
  if (!Number.isFinite(intervalSeconds) || intervalSeconds <= 0)
    throw new CliError('--interval must be a positive number of seconds', 2);
  const session = await ctx.session();
  const invoice = await session.payments.createInvoice(planId);
  if (options.json) {
    ctx.out(
      JSON.stringify({
        invoiceId: invoice.invoiceId,
        planId: invoice.planId,
        address: invoice.address,
        amountSats: invoice.amountSats,
        bip21: invoice.bip21,
        lightning: invoice.lightning,
        expiresAt: invoice.expiresAt,
        status: invoice.status,
      }),
    );
  } else {
    ctx.out(`Invoice ${invoice.invoiceId} for the ${invoice.planId} plan`);
    ctx.out('');
    ctx.out(`  amount   ${formatSats(invoice.amountSats)}`);
    ctx.out(`  address  ${invoice.address}`);
    if (invoice.lightning) ctx.out(`  lightning ${invoice.lightning}`);
    ctx.out(`  pay      ${invoice.bip21}`);
    ctx.out(
      `  expires  ${formatDate(invoice.expiresAt)} (pay in full before then; you can top up a partial payment)`,
    );
    ctx.out('');
    ctx.out(await QRCode.toString(invoice.bip21, { type: 'terminal', small: true }));
    if (!options.wait)
      ctx.out(`Follow it with \`hoard invoices\` (or run \`hoard upgrade ${planId} --wait\` next time).`);
  }
  if (!options.wait) return;
  const final = await session.payments.waitForInvoice(invoice.invoiceId, {
    intervalMs: intervalSeconds * 1000,
    onUpdate: (update) => ctx.note(`${new Date().toISOString().slice(11, 19)}  ${describeStatus(update)}`),
  });
  if (options.json) ctx.out(JSON.stringify(final));
  if (final.status !== 'settled') {
    throw new CliError(
      `the invoice ended ${final.status}${final.paidSats > 0 ? ` with ${final.paidSats} sats paid (the operator can see them)` : ''}`,
    );
  }
  if (!options.json) {
    const plan = await session.payments.accountPlan();
    ctx.out(
      `Paid. Your ${plan.planName} plan runs until ${plan.planExpiresAt ? formatDate(plan.planExpiresAt) : '-'} (${formatBytes(plan.quotaBytes)}).`,
    );
  }
}

export async function invoices(ctx: CliContext, options: { json?: boolean }): Promise<void> {
  const session = await ctx.session();
  const list = await session.payments.invoices();
  if (options.json) {
    ctx.out(JSON.stringify(list));
    return;
  }
  if (list.length === 0) {
    ctx.out('No invoices yet (see `hoard plans`).');
    return;
  }
  const rows = [['INVOICE', 'PLAN', 'STATUS', 'AMOUNT', 'PAID', 'DUE', 'CREATED', 'EXPIRES']];
  for (const i of list) {
    rows.push([
      i.invoiceId,
      i.planId,
      i.additionalStatus === 'none' ? i.status : `${i.status} (${i.additionalStatus})`,
      String(i.amountSats),
      String(i.paidSats),
      String(i.dueSats),
      formatDate(i.createdAt),
      formatDate(i.expiresAt),
    ]);
  }
  ctx.out(formatTable(rows));
}
