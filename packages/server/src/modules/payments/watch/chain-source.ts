// What the watch provider needs from a bitcoin node, whichever it is (Esplora's REST API or
// Bitcoin Core's JSON-RPC): the tip, block headers, the outputs of a block, unconfirmed outputs to
// one address, and where one transaction is. Implementations parse every answer and report a
// source that is down or answers garbage as ProviderUnavailableError; `requests` counts calls, so
// the benchmark can say what the watcher costs per block.

export interface BlockHeader {
  hash: string;
  height: number;
  /** null for the genesis block. */
  previousHash: string | null;
  txCount: number;
}

/** One output of a transaction, in integer satoshis. */
export interface ChainOutput {
  txid: string;
  vout: number;
  /** null for outputs without an address (OP_RETURN, bare scripts). */
  address: string | null;
  valueSats: number;
}

export type TxPlace =
  { kind: 'block'; hash: string; height: number } | { kind: 'mempool' } | { kind: 'unknown' };

export interface ChainSource {
  /** Requests sent so far. */
  readonly requests: number;
  tipHash(): Promise<string>;
  header(hash: string): Promise<BlockHeader>;
  /** Every output of every transaction of a block. */
  blockOutputs(header: BlockHeader): Promise<ChainOutput[]>;
  /** Outputs to `address` of transactions still in the mempool. */
  mempoolOutputs(address: string): Promise<ChainOutput[]>;
  /** Where a transaction is now: in a block, in the mempool, or nowhere (double-spent). */
  txPlace(txid: string): Promise<TxPlace>;
}

export const TXID = /^[0-9a-f]{64}$/;
