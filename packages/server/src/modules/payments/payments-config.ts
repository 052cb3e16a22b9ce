// The payments part of the server's configuration: plans (HOARD_PLANS, integer satoshis only) and
// the payment provider's settings (BTCPay Server, or the built-in watch-only receiver). config.ts
// spreads PaymentsConfigShape into its one schema and calls checkPaymentsConfig once at start.
// Never holds a private key: HOARD_XPUB must be an extended PUBLIC key (an xprv is refused).
import { z } from 'zod';

const positiveInt = z.coerce.number().int().positive();

/** One plan as the operator writes it in HOARD_PLANS. Prices are integer satoshis, never floats. */
export const PlanConfigSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'a plan id is 1..32 of a-z, 0-9, _ and -')
      .refine((id) => id !== 'free', 'the id "free" is the built-in free plan'),
    name: z.string().min(1).max(100),
    quotaBytes: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    priceSats: z
      .number({ error: 'priceSats must be an integer number of satoshis' })
      .int('priceSats must be an integer number of satoshis (no fractions, no fiat)')
      .positive()
      .max(21_000_000 * 100_000_000),
    periodDays: z.number().int().positive().max(3660),
  })
  .strict();
export type PlanConfig = z.infer<typeof PlanConfigSchema>;

function jsonList(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return 'HOARD_PLANS is not valid JSON';
  }
}

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

export const BitcoinNetwork = z.enum(['mainnet', 'testnet', 'signet', 'regtest']);
export type BitcoinNetwork = z.infer<typeof BitcoinNetwork>;

/** Spread into the server's ConfigSchema. */
export const PaymentsConfigShape = {
  /** The operator's plans (the free plan is built in). */
  plans: z
    .preprocess(
      jsonList,
      z
        .array(PlanConfigSchema, { error: 'HOARD_PLANS must be a JSON list of plans' })
        .max(50)
        .refine((plans) => new Set(plans.map((p) => p.id)).size === plans.length, 'plan ids must be unique'),
    )
    .default([]),
  btcpayUrl: httpUrl.optional(),
  btcpayApiKey: z.string().min(1).optional(),
  btcpayStoreId: z.string().min(1).optional(),
  btcpayWebhookSecret: z.string().min(1).optional(),
  /** xpub/ypub/zpub (mainnet) or tpub/upub/vpub (test networks). */
  xpub: z
    .string()
    .regex(
      /^[xyztuv]pub[1-9A-HJ-NP-Za-km-z]{100,112}$/,
      'HOARD_XPUB must be an extended public key (xpub, ypub, zpub, tpub, upub or vpub)',
    )
    .optional(),
  network: BitcoinNetwork.default('mainnet'),
  esploraUrl: httpUrl.optional(),
  bitcoindRpcUrl: httpUrl.optional(),
  /** Confirmations before a payment counts (watch provider). */
  confirmations: z.coerce.number().int().min(1).max(100).default(1),
  /** How often the watch provider asks for the chain tip. */
  chainPollSeconds: positiveInt.default(15),
  /** An invoice can be paid (and topped up) for this long. */
  invoiceTtlMinutes: positiveInt.max(7 * 24 * 60).default(60),
  /** The account is told this many days ahead of a lapse. */
  planReminderDays: positiveInt.max(365).default(7),
  /** Invoices an account may create per hour. */
  invoicesPerHour: positiveInt.default(20),
};

/** The payment settings alone (config.ts spreads the shape into its one schema). */
export const PaymentsConfigSchema = z.object(PaymentsConfigShape);
type PaymentsConfig = z.output<typeof PaymentsConfigSchema>;

/** Which provider the settings select: BTCPay, the watch-only receiver, or none. */
export function paymentProviderKind(config: PaymentsConfig): 'btcpay' | 'watch' | 'none' {
  if (config.btcpayUrl !== undefined) return 'btcpay';
  if (config.xpub !== undefined) return 'watch';
  return 'none';
}

/** Cross-field checks; returns the problems (empty when the settings are coherent). */
export function checkPaymentsConfig(config: PaymentsConfig): string[] {
  const problems: string[] = [];
  const btcpay = [config.btcpayUrl, config.btcpayApiKey, config.btcpayStoreId, config.btcpayWebhookSecret];
  const anyBtcpay = btcpay.some((v) => v !== undefined);
  if (anyBtcpay && btcpay.some((v) => v === undefined)) {
    problems.push(
      'BTCPay needs all of HOARD_BTCPAY_URL, HOARD_BTCPAY_API_KEY, HOARD_BTCPAY_STORE_ID and HOARD_BTCPAY_WEBHOOK_SECRET',
    );
  }
  if (anyBtcpay && config.xpub !== undefined) {
    problems.push('choose one payment provider: HOARD_BTCPAY_* or HOARD_XPUB, not both');
  }
  if (config.xpub !== undefined) {
    const sources = [config.esploraUrl, config.bitcoindRpcUrl].filter((v) => v !== undefined);
    if (sources.length !== 1) {
      problems.push('HOARD_XPUB needs exactly one of HOARD_ESPLORA_URL or HOARD_BITCOIND_RPC_URL');
    }
    const mainnetKey = /^[xyz]pub/.test(config.xpub);
    if (mainnetKey !== (config.network === 'mainnet')) {
      problems.push(
        `HOARD_XPUB is a ${mainnetKey ? 'mainnet' : 'test network'} key but HOARD_NETWORK is ${config.network}`,
      );
    }
  }
  return problems;
}

/** The HOARD_* payment variables as config input (strings; the schema coerces and checks them). */
export function paymentsConfigFromEnvironment(
  env: Record<string, string | undefined>,
): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const set = (key: string, value: string | undefined) => {
    if (value !== undefined && value !== '') input[key] = value;
  };
  set('plans', env.HOARD_PLANS);
  set('btcpayUrl', env.HOARD_BTCPAY_URL);
  set('btcpayApiKey', env.HOARD_BTCPAY_API_KEY);
  set('btcpayStoreId', env.HOARD_BTCPAY_STORE_ID);
  set('btcpayWebhookSecret', env.HOARD_BTCPAY_WEBHOOK_SECRET);
  set('xpub', env.HOARD_XPUB);
  set('network', env.HOARD_NETWORK);
  set('esploraUrl', env.HOARD_ESPLORA_URL);
  set('bitcoindRpcUrl', env.HOARD_BITCOIND_RPC_URL);
  set('confirmations', env.HOARD_CONFIRMATIONS);
  set('chainPollSeconds', env.HOARD_CHAIN_POLL_SECONDS);
  set('invoiceTtlMinutes', env.HOARD_INVOICE_TTL_MINUTES);
  set('planReminderDays', env.HOARD_PLAN_REMINDER_DAYS);
  return input;
}
