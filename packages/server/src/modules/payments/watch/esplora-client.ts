// A ChainSource over the Esplora REST API (Blockstream's esplora, mempool.space, electrs):
//   GET /blocks/tip/hash            the tip
//   GET /block/:hash                a header (height, previousblockhash, tx_count)
//   GET /block/:hash/txs/:start     25 transactions per page, start a multiple of 25
//   GET /address/:address/txs/mempool   unconfirmed transactions of an address
//   GET /tx/:txid/status            where a transaction is (404: neither mined nor in the mempool)
// Every answer is parsed; reads are retried with backoff; down or garbage is ProviderUnavailableError.
import { z } from 'zod';
import { ProviderUnavailableError } from '../payment-provider.js';
import { parseJson, ProviderHttpError, providerRequest, type ProviderHttpOptions } from '../provider-http.js';
import { TXID, type BlockHeader, type ChainOutput, type ChainSource, type TxPlace } from './chain-source.js';

const PAGE = 25;
const Hash = z.string().regex(TXID);
const Sats = z
  .number()
  .int()
  .min(0)
  .max(21_000_000 * 100_000_000);

const Block = z.object({
  id: Hash,
  height: z.number().int().min(0),
  previousblockhash: Hash.nullable().optional(),
  tx_count: z.number().int().min(1),
});

const Tx = z.object({
  txid: Hash,
  vout: z.array(z.object({ scriptpubkey_address: z.string().max(100).optional(), value: Sats })),
});

const TxStatus = z.object({
  confirmed: z.boolean(),
  block_height: z.number().int().min(0).optional(),
  block_hash: Hash.optional(),
});

export class EsploraClient implements ChainSource {
  #requests = 0;
  readonly #base: string;
  readonly #options: ProviderHttpOptions;

  constructor(url: string, options: ProviderHttpOptions = {}) {
    this.#base = url.replace(/\/+$/, '');
    this.#options = options;
  }

  get requests(): number {
    return this.#requests;
  }

  /** GET; a 4xx is ProviderUnavailableError (Esplora does not know what it should), except an allowed 404. */
  async #get(path: string, allow404 = false): Promise<string | undefined> {
    this.#requests++;
    try {
      return await providerRequest(
        `${this.#base}${path}`,
        { method: 'GET', idempotent: true },
        this.#options,
      );
    } catch (error) {
      if (error instanceof ProviderHttpError) {
        if (allow404 && error.status === 404) return undefined;
        throw new ProviderUnavailableError(`Esplora: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }

  async #getText(path: string): Promise<string> {
    return (await this.#get(path)) ?? '';
  }

  #parse<T>(schema: z.ZodType<T>, text: string, what: string): T {
    const result = schema.safeParse(parseJson(text));
    if (!result.success)
      throw new ProviderUnavailableError(`Esplora answered a malformed ${what}`, { cause: result.error });
    return result.data;
  }

  async tipHash(): Promise<string> {
    const text = (await this.#getText('/blocks/tip/hash')).trim();
    if (!TXID.test(text)) throw new ProviderUnavailableError('Esplora answered a malformed tip hash');
    return text;
  }

  async header(hash: string): Promise<BlockHeader> {
    const block = this.#parse(Block, await this.#getText(`/block/${hash}`), 'block');
    if (block.id !== hash) throw new ProviderUnavailableError('Esplora answered about another block');
    return {
      hash: block.id,
      height: block.height,
      previousHash: block.previousblockhash ?? null,
      txCount: block.tx_count,
    };
  }

  async blockOutputs(header: BlockHeader): Promise<ChainOutput[]> {
    const outputs: ChainOutput[] = [];
    for (let start = 0; start < header.txCount; start += PAGE) {
      const txs = this.#parse(
        z.array(Tx).max(PAGE),
        await this.#getText(`/block/${header.hash}/txs/${start}`),
        'transaction page',
      );
      if (txs.length === 0) throw new ProviderUnavailableError('Esplora answered a short block');
      for (const tx of txs) outputs.push(...outputsOf(tx));
    }
    return outputs;
  }

  async mempoolOutputs(address: string): Promise<ChainOutput[]> {
    const txs = this.#parse(
      z.array(Tx).max(1000),
      await this.#getText(`/address/${encodeURIComponent(address)}/txs/mempool`),
      'mempool list',
    );
    return txs.flatMap(outputsOf).filter((o) => o.address === address);
  }

  async txPlace(txid: string): Promise<TxPlace> {
    const text = await this.#get(`/tx/${txid}/status`, true);
    if (text === undefined) return { kind: 'unknown' };
    const status = this.#parse(TxStatus, text, 'transaction status');
    if (status.confirmed && status.block_hash !== undefined && status.block_height !== undefined) {
      return { kind: 'block', hash: status.block_hash, height: status.block_height };
    }
    return { kind: 'mempool' };
  }
}

function outputsOf(tx: z.infer<typeof Tx>): ChainOutput[] {
  return tx.vout.map((out, vout) => ({
    txid: tx.txid,
    vout,
    address: out.scriptpubkey_address ?? null,
    valueSats: out.value,
  }));
}
