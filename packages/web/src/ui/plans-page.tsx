// Plans and checkout: the plans on offer, the account's plan and usage, an upgrade that creates a
// bitcoin invoice through the SDK and shows it (amount, address, BIP21 link, QR code, copy buttons)
// with a live status until it is paid, partly paid or expired, and the past invoices as receipts.
// `/billing?upgrade=<plan id>` (the page lives at /billing: /plans is the API route) opens the checkout of that plan directly.
import { isOpenInvoice, type AccountPlan, type HoardSession, type Invoice, type Plan } from '@hoard/client';
import QRCode from 'qrcode';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ErrorMessage } from './dialog';
import { describeError, formatBytes, formatDate } from './format';
import './plans.css';

/** Satoshis as people read them: `50,000 sats`. */
export function formatSats(sats: number): string {
  return `${sats.toLocaleString('en-US')} sats`;
}

/** Satoshis in BTC with no float rounding (`0.0005 BTC`). */
export function formatBtc(sats: number): string {
  const whole = Math.floor(sats / 100_000_000);
  const fraction = String(sats % 100_000_000)
    .padStart(8, '0')
    .replace(/0+$/, '');
  return `${whole}${fraction ? `.${fraction}` : ''} BTC`;
}

function periodText(days: number): string {
  return days === 1 ? '1 day' : `${days} days`;
}

export function PlansPage(props: { session: HoardSession }) {
  const { session } = props;
  const [plans, setPlans] = useState<Plan[]>();
  const [paymentsEnabled, setPaymentsEnabled] = useState(false);
  const [account, setAccount] = useState<AccountPlan>();
  const [invoices, setInvoices] = useState<Invoice[]>();
  const [checkout, setCheckout] = useState<Invoice>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<string>();
  const requested = useMemo(() => new URLSearchParams(location.search).get('upgrade'), []);
  const requestHandled = useRef(false);

  const refresh = useCallback(async () => {
    const [offered, mine, past] = await Promise.all([
      session.payments.plans(),
      session.payments.accountPlan(),
      session.payments.invoices(),
    ]);
    setPlans(offered.plans);
    setPaymentsEnabled(offered.paymentsEnabled);
    setAccount(mine);
    setInvoices(past);
    return offered;
  }, [session]);

  const upgrade = useCallback(
    async (plan: Plan) => {
      setError(undefined);
      setBusy(plan.id);
      try {
        const invoice = await session.payments.createInvoice(plan.id);
        setCheckout(invoice);
        setInvoices((list) => [invoice, ...(list ?? [])]);
      } catch (caught) {
        setError(describeError(caught));
      } finally {
        setBusy(undefined);
      }
    },
    [session],
  );

  useEffect(() => {
    void (async () => {
      try {
        const offered = await refresh();
        if (requested && !requestHandled.current) {
          requestHandled.current = true;
          const plan = offered.plans.find((p) => p.id === requested && p.priceSats > 0);
          if (!plan) setError(`There is no plan “${requested.slice(0, 40)}” to buy on this server.`);
          else if (!offered.paymentsEnabled)
            setError('This server takes no payments: plans cannot be bought here.');
          else await upgrade(plan);
        }
      } catch (caught) {
        setError(describeError(caught));
      }
    })();
  }, [refresh, requested, upgrade]);

  const settled = useCallback(
    (invoice: Invoice) => {
      setInvoices((list) => list?.map((i) => (i.invoiceId === invoice.invoiceId ? invoice : i)));
      if (!isOpenInvoice(invoice)) void refresh().catch((caught: unknown) => setError(describeError(caught)));
    },
    [refresh],
  );

  const paid = plans?.filter((p) => p.priceSats > 0) ?? [];
  return (
    <section className="plans" aria-labelledby="plans-title">
      <h1 id="plans-title">Plans</h1>
      <ErrorMessage error={error} />
      {plans === undefined && !error && <p role="status">Loading…</p>}
      {account && (
        <div className="card" aria-labelledby="current-plan-title">
          <h2 id="current-plan-title">Your plan</h2>
          <dl className="facts">
            <dt>Plan</dt>
            <dd>{account.planName}</dd>
            <dt>Ends</dt>
            <dd>{account.planExpiresAt ? formatDate(account.planExpiresAt) : 'Never (free plan)'}</dd>
            <dt>Storage</dt>
            <dd>
              <span data-testid="usage">
                {formatBytes(account.usedBytes)} used of {formatBytes(account.quotaBytes)}
              </span>
            </dd>
          </dl>
          <progress
            aria-label="Storage used by your plan"
            max={account.quotaBytes}
            value={account.usedBytes}
          />
        </div>
      )}
      {plans && (
        <div className="card">
          <h2>Plans on offer</h2>
          {!paymentsEnabled && (
            <p className="notice" role="note">
              This server takes no payments: only the free plan is offered here.
            </p>
          )}
          <ul className="plan-list">
            {plans.map((plan) => (
              <li key={plan.id} className={account?.plan === plan.id ? 'plan current' : 'plan'}>
                <h3>{plan.name}</h3>
                <p>{formatBytes(plan.quotaBytes)} of storage</p>
                <p>
                  {plan.priceSats === 0
                    ? 'Free'
                    : `${formatSats(plan.priceSats)} (${formatBtc(plan.priceSats)}) for ${periodText(plan.periodDays)}`}
                </p>
                {account?.plan === plan.id && <p className="hint">Your current plan</p>}
                {plan.priceSats > 0 && paymentsEnabled && (
                  <button
                    type="button"
                    className="primary"
                    aria-label={`Upgrade to ${plan.name}`}
                    disabled={busy !== undefined}
                    onClick={() => void upgrade(plan)}
                  >
                    {account?.plan === plan.id ? 'Renew' : 'Upgrade'}
                  </button>
                )}
              </li>
            ))}
          </ul>
          {paid.length === 0 && <p className="hint">No paid plans are offered on this server.</p>}
        </div>
      )}
      {checkout && (
        <Checkout
          key={checkout.invoiceId}
          session={session}
          invoice={checkout}
          plan={plans?.find((p) => p.id === checkout.planId)}
          onChange={settled}
        />
      )}
      {invoices && (
        <div className="card">
          <h2>Invoices</h2>
          {invoices.length === 0 ? (
            <p className="hint">No invoices yet.</p>
          ) : (
            <ul className="receipts" aria-label="Invoices">
              {invoices.map((invoice) => (
                <li key={invoice.invoiceId}>
                  <span>{formatDate(invoice.createdAt)}</span>
                  <span>{plans?.find((p) => p.id === invoice.planId)?.name ?? invoice.planId}</span>
                  <span>{formatSats(invoice.amountSats)}</span>
                  <span>{statusWord(invoice)}</span>
                  {invoice.invoiceId !== checkout?.invoiceId && (
                    <button type="button" className="link" onClick={() => setCheckout(invoice)}>
                      {isOpenInvoice(invoice) ? 'Pay' : 'Receipt'}
                      <span className="visually-hidden"> of invoice {invoice.invoiceId}</span>
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}

function statusWord(invoice: Invoice): string {
  switch (invoice.status) {
    case 'settled':
      return 'Paid';
    case 'processing':
      return 'Confirming';
    case 'expired':
      return invoice.additionalStatus === 'paidPartial' ? 'Expired, paid in part' : 'Expired';
    case 'invalid':
      return 'Invalid';
    default:
      return invoice.additionalStatus === 'paidPartial' ? 'Paid in part' : 'Awaiting payment';
  }
}

function Checkout(props: {
  session: HoardSession;
  invoice: Invoice;
  plan: Plan | undefined;
  onChange: (invoice: Invoice) => void;
}) {
  const { session, onChange } = props;
  const [invoice, setInvoice] = useState(props.invoice);
  const [copied, setCopied] = useState<string>();
  const [error, setError] = useState<string>();
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => heading.current?.focus(), []);

  // The live status: the SDK reads the invoice until it settles, expires or turns invalid.
  useEffect(() => {
    if (!isOpenInvoice(props.invoice)) return;
    const abort = new AbortController();
    session.payments
      .waitForInvoice(props.invoice.invoiceId, {
        intervalMs: 2000,
        signal: abort.signal,
        onUpdate: (next) => {
          setInvoice(next);
          onChange(next);
        },
      })
      .catch((caught: unknown) => {
        if (!abort.signal.aborted) setError(describeError(caught));
      });
    return () => abort.abort();
  }, [session, props.invoice, onChange]);

  async function copy(what: string, text: string) {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(`${what} copied.`);
    } catch {
      setCopied(`Copying is not allowed here: select the ${what.toLowerCase()} and copy it.`);
    }
  }

  const planName = props.plan?.name ?? invoice.planId;
  const title = invoice.status === 'settled' ? `Receipt: ${planName}` : `Pay for ${planName}`;
  return (
    <div className="card checkout" aria-labelledby="checkout-title">
      <h2 id="checkout-title" ref={heading} tabIndex={-1}>
        {title}
      </h2>
      <ErrorMessage error={error} />
      <p role="status" className="invoice-status" aria-live="polite">
        {statusSentence(invoice)}
      </p>
      {invoice.status === 'settled' ? (
        <Receipt invoice={invoice} plan={props.plan} />
      ) : (
        invoice.status !== 'invalid' && (
          <div className="checkout-body">
            <QrCode
              text={invoice.bip21}
              label={`QR code of the payment link for ${formatSats(invoice.dueSats)}`}
            />
            <dl className="facts">
              <dt>Amount</dt>
              <dd>
                <span data-testid="amount-sats">{formatSats(invoice.amountSats)}</span> (
                {formatBtc(invoice.amountSats)})
              </dd>
              {invoice.paidSats + invoice.pendingSats > 0 && (
                <>
                  <dt>Still due</dt>
                  <dd>{formatSats(invoice.dueSats)}</dd>
                </>
              )}
              <dt>Address</dt>
              <dd>
                <code className="address" data-testid="address">
                  {invoice.address}
                </code>
              </dd>
              <dt>Payment link</dt>
              <dd>
                <a href={invoice.bip21} className="bip21" data-testid="bip21">
                  {invoice.bip21}
                </a>
              </dd>
              <dt>Pay before</dt>
              <dd>{formatDate(invoice.expiresAt)}</dd>
            </dl>
            <div className="row-actions">
              <button type="button" onClick={() => void copy('Address', invoice.address)}>
                Copy address
              </button>
              <button type="button" onClick={() => void copy('Payment link', invoice.bip21)}>
                Copy payment link
              </button>
              <span role="status">{copied}</span>
            </div>
          </div>
        )
      )}
    </div>
  );
}

function statusSentence(invoice: Invoice): string {
  const partial = invoice.paidSats + invoice.pendingSats > 0 && invoice.dueSats > 0;
  switch (invoice.status) {
    case 'settled':
      return 'Paid. Thank you: your plan is active.';
    case 'processing':
      return partial
        ? `Payment seen, waiting for confirmation; ${formatSats(invoice.dueSats)} still due.`
        : 'Payment seen, waiting for a confirmation in a block.';
    case 'expired':
      return partial
        ? `Expired after a partial payment of ${formatSats(invoice.paidSats + invoice.pendingSats)}: ${formatSats(invoice.dueSats)} was still due. The coins are recorded; contact the operator, or start a new upgrade.`
        : 'Expired: this invoice can no longer be paid. Start a new upgrade to get a fresh address.';
    case 'invalid':
      return 'This invoice is invalid (the payment was reversed or refused). Start a new upgrade.';
    default:
      return partial
        ? `Paid in part: ${formatSats(invoice.dueSats)} still due. Pay the rest to the same address before it expires.`
        : 'Awaiting payment. This page updates by itself when the coins arrive.';
  }
}

function Receipt(props: { invoice: Invoice; plan: Plan | undefined }) {
  const { invoice, plan } = props;
  return (
    <dl className="facts receipt">
      <dt>Invoice</dt>
      <dd>
        <code>{invoice.invoiceId}</code>
      </dd>
      <dt>Amount paid</dt>
      <dd>
        {formatSats(invoice.paidSats)} ({formatBtc(invoice.paidSats)})
      </dd>
      <dt>Paid at</dt>
      <dd>{invoice.settledAt ? formatDate(invoice.settledAt) : '—'}</dd>
      <dt>Plan period</dt>
      <dd>
        {plan ? `${plan.name}, ${periodText(plan.periodDays)}` : invoice.planId}
        {plan && invoice.settledAt
          ? ` (until about ${formatDate(Date.parse(invoice.settledAt) + plan.periodDays * 86_400_000)})`
          : ''}
      </dd>
    </dl>
  );
}

/** A QR code drawn as SVG elements from the module matrix (no markup strings, no inline script). */
function QrCode(props: { text: string; label: string }) {
  const path = useMemo(() => {
    const qr = QRCode.create(props.text, { errorCorrectionLevel: 'M' });
    const size = qr.modules.size;
    let d = '';
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        if (qr.modules.get(y, x)) d += `M${x + 4} ${y + 4}h1v1h-1z`;
      }
    }
    return { d, size: size + 8 };
  }, [props.text]);
  return (
    <svg
      className="qr"
      role="img"
      aria-label={props.label}
      viewBox={`0 0 ${path.size} ${path.size}`}
      shapeRendering="crispEdges"
    >
      <rect width={path.size} height={path.size} fill="#ffffff" />
      <path d={path.d} fill="#000000" />
    </svg>
  );
}
