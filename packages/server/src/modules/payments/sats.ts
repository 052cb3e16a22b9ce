// Satoshis and their decimal BTC spelling. Amounts inside Hoard are integer satoshis; a decimal
// string (BTCPay's amounts, BIP21's amount=) is converted by string arithmetic, never through a
// float, and anything that is not a whole number of satoshis is refused.

const SATS_PER_BTC = 100_000_000;
const DECIMAL_BTC = /^(\d{1,8})(?:\.(\d{1,8}))?$/;

/** Thrown for an amount that is not a whole, non-negative number of satoshis. */
export class NotSatsError extends Error {
  override name = 'NotSatsError';
}

/** "0.0005" -> 50000. Refuses negatives, exponents, more than 8 decimals and > 21e6 BTC. */
export function btcToSats(decimal: string): number {
  const match = DECIMAL_BTC.exec(decimal);
  if (!match)
    throw new NotSatsError(`not a whole number of satoshis: ${JSON.stringify(decimal.slice(0, 40))}`);
  const whole = Number(match[1]);
  const fraction = Number((match[2] ?? '').padEnd(8, '0'));
  const sats = whole * SATS_PER_BTC + fraction;
  if (sats > 21_000_000 * SATS_PER_BTC) throw new NotSatsError('more bitcoin than will ever exist');
  return sats;
}

/** 50000 -> "0.0005" (no trailing zeros; "0" for zero). */
export function satsToBtc(sats: number): string {
  if (!Number.isSafeInteger(sats) || sats < 0)
    throw new NotSatsError(`not a whole number of satoshis: ${sats}`);
  const whole = Math.floor(sats / SATS_PER_BTC);
  const fraction = String(sats % SATS_PER_BTC)
    .padStart(8, '0')
    .replace(/0+$/, '');
  return fraction === '' ? String(whole) : `${whole}.${fraction}`;
}

/** A BIP21 URI: `bitcoin:ADDRESS?amount=BTC[&label=..][&lightning=BOLT11]`. */
export function bip21Uri(
  address: string,
  amountSats: number,
  options: { label?: string; lightning?: string | null } = {},
): string {
  const params = [`amount=${satsToBtc(amountSats)}`];
  if (options.label) params.push(`label=${encodeURIComponent(options.label)}`);
  if (options.lightning) params.push(`lightning=${options.lightning}`);
  return `bitcoin:${address}?${params.join('&')}`;
}
