// A ChainSource over Bitcoin Core's JSON-RPC (HOARD_BITCOIND_RPC_URL, e.g.
// http://user:password@127.0.0.1:8332): getbestblockhash, getblockheader, getblock (verbosity 2:
// every transaction of a block in one request), getmempoolentry. Bitcoin Core has no address index,
// so unconfirmed payments are not shown before their first block (mempoolOutputs is empty): with
// Bitcoin Core an invoice goes from "new" straight to its first confirmation. Values come as BTC
// JSON numbers and are converted to integer satoshis with a check that they were whole satoshis.
import { z } from 'zod';
import { ProviderUnavailableError } from '../payment-provider.js';
import { parseJson, ProviderHttpError, providerRequest, type ProviderHttpOptions } from '../provider-http.js';
import { TXID, type BlockHeader, type ChainOutput, type ChainSource, type TxPlace } from './chain-source.js';

const Hash = z.string().regex(TXID);
const RpcAnswer = z.object({
  result: z.unknown(),
  error: z.object({ code: z.number(), message: z.string() }).nullable(),
});
const Header = z.object({
  hash: Hash,
  height: z.number().int().min(0),
  previousblockhash: Hash.optional(),
  nTx: z.number().int().min(1),
});
const Block = z.object({
  hash: Hash,
  tx: z.array(
    z.object({
      txid: Hash,
      vout: z.array(
        z.object({
          value: z.number().min(0).max(21_000_000),
          n: z.number().int().min(0),
          scriptPubKey: z.object({ address: z.string().max(100).optional() }),
        }),
      ),
    }),
  ),
});

/** RPC_INVALID_ADDRESS_OR_KEY: "no such mempool transaction", "block not found". */
const NOT_FOUND = -5;

function btcNumberToSats(value: number): number {
  const sats = Math.round(value * 100_000_000);
  if (Math.abs(sats / 100_000_000 - value) > 1e-9)
    throw new ProviderUnavailableError('bitcoind answered a value that is not whole satoshis');
  return sats;
}

export class BitcoindRpcClient implements ChainSource {
  #requests = 0;
  #id = 0;
  readonly #url: string;
  readonly #authorization: string | undefined;
  readonly #options: ProviderHttpOptions;

  constructor(url: string, options: ProviderHttpOptions = {}) {
    const parsed = new URL(url);
    // fetch refuses credentials in a URL: they become a Basic Authorization header.
    if (parsed.username !== '' || parsed.password !== '') {
      const user = decodeURIComponent(parsed.username);
      const password = decodeURIComponent(parsed.password);
      this.#authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      parsed.username = '';
      parsed.password = '';
    }
    this.#url = parsed.toString();
    this.#options = options;
  }

  get requests(): number {
    return this.#requests;
  }

  /** One call; `undefined` when bitcoind says "not found" (-5). */
  async #call(method: string, params: unknown[]): Promise<unknown> {
    this.#requests++;
    let text: string;
    try {
      text = await providerRequest(
        this.#url,
        {
          method: 'POST',
          idempotent: true,
          headers: {
            'content-type': 'application/json',
            ...(this.#authorization ? { authorization: this.#authorization } : {}),
          },
          body: JSON.stringify({ jsonrpc: '1.0', id: ++this.#id, method, params }),
        },
        this.#options,
      );
    } catch (error) {
      // bitcoind answers RPC errors with HTTP 404/500 and a JSON body.
      if (error instanceof ProviderHttpError) {
        const body = /: (\{.*)$/s.exec(error.message)?.[1];
        const parsed = body === undefined ? undefined : RpcAnswer.safeParse(safeJson(body));
        if (parsed?.success && parsed.data.error?.code === NOT_FOUND) return undefined;
        throw new ProviderUnavailableError(`bitcoind refused ${method}: ${error.status}`, { cause: error });
      }
      throw error;
    }
    const answer = RpcAnswer.safeParse(parseJson(text));
    if (!answer.success)
      throw new ProviderUnavailableError(`bitcoind answered a malformed ${method}`, { cause: answer.error });
    if (answer.data.error) {
      if (answer.data.error.code === NOT_FOUND) return undefined;
      throw new ProviderUnavailableError(`bitcoind: ${method}: ${answer.data.error.message.slice(0, 200)}`);
    }
    return answer.data.result;
  }

  #parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
    const result = schema.safeParse(value);
    if (!result.success)
      throw new ProviderUnavailableError(`bitcoind answered a malformed ${what}`, { cause: result.error });
    return result.data;
  }

  async tipHash(): Promise<string> {
    return this.#parse(Hash, await this.#call('getbestblockhash', []), 'tip hash');
  }

  async header(hash: string): Promise<BlockHeader> {
    const header = this.#parse(Header, await this.#call('getblockheader', [hash, true]), 'block header');
    return {
      hash: header.hash,
      height: header.height,
      previousHash: header.previousblockhash ?? null,
      txCount: header.nTx,
    };
  }

  async blockOutputs(header: BlockHeader): Promise<ChainOutput[]> {
    const block = this.#parse(Block, await this.#call('getblock', [header.hash, 2]), 'block');
    return block.tx.flatMap((tx) =>
      tx.vout.map((out) => ({
        txid: tx.txid,
        vout: out.n,
        address: out.scriptPubKey.address ?? null,
        valueSats: btcNumberToSats(out.value),
      })),
    );
  }

  mempoolOutputs(): Promise<ChainOutput[]> {
    return Promise.resolve([]);
  }

  async txPlace(txid: string): Promise<TxPlace> {
    const entry = await this.#call('getmempoolentry', [txid]);
    // Mined transactions are found by the block scan; one that is neither there nor here is gone.
    return entry === undefined ? { kind: 'unknown' } : { kind: 'mempool' };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
