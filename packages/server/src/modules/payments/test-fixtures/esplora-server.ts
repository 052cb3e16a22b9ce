// A local bitcoin chain behind the Esplora REST API, for tests and benchmarks only. Tests mine
// blocks, pay into addresses (transactions wait in the mempool until mined), double-spend and
// reorganize; the server answers the endpoints the watch provider uses, in Esplora's JSON shapes
// (block: id/height/previousblockhash/tx_count..., tx: txid/vin/vout/status..., 25 transactions per
// page), counts requests by path, and can be switched down or to garbage. Blocks are not
// proof-of-work: hashes are random 32-byte hex, which is all a watch-only client can check.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOutput {
  address: string;
  valueSats: number;
}

export interface FakeTx {
  txid: string;
  /** The outpoint it spends (a double spend spends the same one). */
  spends: string;
  outputs: FakeOutput[];
}

export interface FakeBlock {
  hash: string;
  height: number;
  previousHash: string | null;
  time: number;
  txs: FakeTx[];
}

const hex32 = () => randomBytes(32).toString('hex');
const PAGE = 25;

export class FakeChain {
  readonly blocks: FakeBlock[] = [];
  mempool: FakeTx[] = [];

  constructor() {
    this.blocks.push({
      hash: hex32(),
      height: 0,
      previousHash: null,
      time: 1_600_000_000,
      txs: [this.#coinbase()],
    });
  }

  #coinbase(): FakeTx {
    return {
      txid: hex32(),
      spends: `coinbase:${hex32()}`,
      outputs: [{ address: 'bcrt1qminer', valueSats: 312_500_000 }],
    };
  }

  get tip(): FakeBlock {
    const tip = this.blocks[this.blocks.length - 1];
    if (!tip) throw new Error('empty chain');
    return tip;
  }

  /** Sends `sats` to `address` (into the mempool); returns the txid. `filler` extra outputs elsewhere. */
  pay(address: string, sats: number, filler = 0): string {
    const outputs: FakeOutput[] = [{ address, valueSats: sats }];
    for (let i = 0; i < filler; i++) outputs.push({ address: `bcrt1qchange${i}`, valueSats: 1_000 });
    const tx: FakeTx = { txid: hex32(), spends: `${hex32()}:0`, outputs };
    this.mempool.push(tx);
    return tx.txid;
  }

  /** Adds `count` unrelated transactions to the mempool (a busy chain). */
  noise(count: number): void {
    for (let i = 0; i < count; i++) {
      this.mempool.push({
        txid: hex32(),
        spends: `${hex32()}:1`,
        outputs: [{ address: `bcrt1qnoise${i}`, valueSats: 5_000 }],
      });
    }
  }

  /** Mines `count` blocks; the first takes the whole mempool. */
  mine(count = 1): FakeBlock[] {
    const mined: FakeBlock[] = [];
    for (let i = 0; i < count; i++) {
      const block: FakeBlock = {
        hash: hex32(),
        height: this.tip.height + 1,
        previousHash: this.tip.hash,
        time: this.tip.time + 600,
        txs: [this.#coinbase(), ...this.mempool],
      };
      this.mempool = [];
      this.blocks.push(block);
      mined.push(block);
    }
    return mined;
  }

  /** Replaces an unconfirmed transaction by one spending the same coins elsewhere (RBF / double spend). */
  doubleSpend(txid: string): string {
    const index = this.mempool.findIndex((t) => t.txid === txid);
    const original = this.mempool[index];
    if (!original) throw new Error('only a transaction in the mempool can be double-spent here');
    const replacement: FakeTx = {
      txid: hex32(),
      spends: original.spends,
      outputs: [
        { address: 'bcrt1qattacker', valueSats: original.outputs.reduce((a, o) => a + o.valueSats, 0) },
      ],
    };
    this.mempool.splice(index, 1, replacement);
    return replacement.txid;
  }

  /**
   * Reorganizes the last `depth` blocks away: their transactions go back to the mempool, except
   * those in `doubleSpent`, which a conflicting transaction in the new branch replaces. Then mines
   * `depth + 1` blocks (a longer branch), the first holding only the conflicting transactions
   * unless `includeMempool`.
   */
  reorg(depth: number, options: { doubleSpent?: string[]; includeMempool?: boolean } = {}): FakeBlock[] {
    const removed = this.blocks.splice(this.blocks.length - depth, depth);
    const returning = removed.flatMap((b) => b.txs.filter((t) => !t.spends.startsWith('coinbase:')));
    const conflicts: FakeTx[] = [];
    const back: FakeTx[] = [];
    for (const tx of returning) {
      if (options.doubleSpent?.includes(tx.txid)) {
        conflicts.push({
          txid: hex32(),
          spends: tx.spends,
          outputs: [{ address: 'bcrt1qattacker', valueSats: 1 }],
        });
      } else {
        back.push(tx);
      }
    }
    const keep = this.mempool;
    this.mempool = options.includeMempool ? [...conflicts, ...back, ...keep] : conflicts;
    const mined = this.mine(depth + 1);
    if (!options.includeMempool) this.mempool = [...back, ...keep];
    return mined;
  }

  findTx(txid: string): { tx: FakeTx; block: FakeBlock | undefined } | undefined {
    for (const block of this.blocks) {
      const tx = block.txs.find((t) => t.txid === txid);
      if (tx) return { tx, block };
    }
    const tx = this.mempool.find((t) => t.txid === txid);
    return tx ? { tx, block: undefined } : undefined;
  }
}

export class EsploraServer {
  readonly chain: FakeChain;
  /** Requests by route pattern, e.g. `/block/:hash/txs/:start`. */
  readonly counts = new Map<string, number>();
  mode: 'up' | 'down' | 'garbage' = 'up';
  #server: Server | undefined;
  #url = '';

  constructor(chain = new FakeChain()) {
    this.chain = chain;
  }

  get url(): string {
    return this.#url;
  }

  get totalRequests(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }

  async start(): Promise<string> {
    this.#server = createServer((req, res) => this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.#url;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #count(route: string): void {
    this.counts.set(route, (this.counts.get(route) ?? 0) + 1);
  }

  #txJson(tx: FakeTx, block: FakeBlock | undefined): Record<string, unknown> {
    const [prevTxid, prevVout] = tx.spends.startsWith('coinbase:')
      ? ['0'.repeat(64), 0xffffffff]
      : tx.spends.split(':');
    return {
      txid: tx.txid,
      version: 2,
      locktime: 0,
      vin: [
        {
          txid: prevTxid,
          vout: Number(prevVout),
          prevout: null,
          scriptsig: '',
          scriptsig_asm: '',
          witness: [],
          is_coinbase: tx.spends.startsWith('coinbase:'),
          sequence: 4294967293,
        },
      ],
      vout: tx.outputs.map((o) => ({
        scriptpubkey: '0014' + '00'.repeat(20),
        scriptpubkey_asm: 'OP_0 OP_PUSHBYTES_20 ' + '00'.repeat(20),
        scriptpubkey_type: 'v0_p2wpkh',
        scriptpubkey_address: o.address,
        value: o.valueSats,
      })),
      size: 222,
      weight: 561,
      fee: 141,
      status: block
        ? { confirmed: true, block_height: block.height, block_hash: block.hash, block_time: block.time }
        : { confirmed: false },
    };
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'POST' && path === '/') {
      this.#rpc(req, res);
      return;
    }
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const text = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(body);
    };
    if (this.mode === 'down') {
      this.#count('(down)');
      return text(503, 'unavailable');
    }
    if (this.mode === 'garbage') {
      this.#count('(garbage)');
      return text(200, '{"id":"not a hash","height":-1,"tx_count":"many"}');
    }
    const chain = this.chain;
    const byHash = (hash: string) => chain.blocks.find((b) => b.hash === hash);
    let m: RegExpExecArray | null;
    if (path === '/blocks/tip/hash') {
      this.#count('/blocks/tip/hash');
      return text(200, chain.tip.hash);
    }
    if (path === '/blocks/tip/height') {
      this.#count('/blocks/tip/height');
      return text(200, String(chain.tip.height));
    }
    if ((m = /^\/block-height\/(\d+)$/.exec(path))) {
      this.#count('/block-height/:height');
      const block = chain.blocks[Number(m[1])];
      return block ? text(200, block.hash) : text(404, 'Block not found');
    }
    if ((m = /^\/block\/([0-9a-f]{64})$/.exec(path))) {
      this.#count('/block/:hash');
      const block = byHash(m[1] ?? '');
      if (!block) return text(404, 'Block not found');
      return json(200, {
        id: block.hash,
        height: block.height,
        version: 536870912,
        timestamp: block.time,
        tx_count: block.txs.length,
        size: 1000,
        weight: 4000,
        merkle_root: '00'.repeat(32),
        previousblockhash: block.previousHash,
        mediantime: block.time - 300,
        nonce: 0,
        bits: 545259519,
        difficulty: 1,
      });
    }
    if ((m = /^\/block\/([0-9a-f]{64})\/txs\/(\d+)$/.exec(path))) {
      this.#count('/block/:hash/txs/:start');
      const block = byHash(m[1] ?? '');
      const start = Number(m[2]);
      if (!block) return text(404, 'Block not found');
      if (start % PAGE !== 0 || start >= block.txs.length) return text(400, 'start index out of range');
      return json(
        200,
        block.txs.slice(start, start + PAGE).map((tx) => this.#txJson(tx, block)),
      );
    }
    if ((m = /^\/address\/([^/]+)\/txs\/mempool$/.exec(path))) {
      this.#count('/address/:address/txs/mempool');
      const address = decodeURIComponent(m[1] ?? '');
      return json(
        200,
        chain.mempool
          .filter((tx) => tx.outputs.some((o) => o.address === address))
          .map((tx) => this.#txJson(tx, undefined)),
      );
    }
    if ((m = /^\/tx\/([0-9a-f]{64})\/status$/.exec(path))) {
      this.#count('/tx/:txid/status');
      const found = chain.findTx(m[1] ?? '');
      if (!found) return text(404, 'Transaction not found');
      return json(200, (this.#txJson(found.tx, found.block) as { status: unknown }).status);
    }
    this.#count('(unknown)');
    return text(404, 'not found');
  }

  /**
   * Bitcoin Core's JSON-RPC (1.0) for the same chain, Basic-authenticated as `rpcuser:rpcpass`:
   * getbestblockhash, getblockheader, getblock (verbosity 2), getmempoolentry. Errors as bitcoind
   * sends them: HTTP 404 for RPC_INVALID_ADDRESS_OR_KEY (-5), 500 otherwise, with a JSON body.
   */
  #rpc(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Basic ${Buffer.from('rpcuser:rpcpass').toString('base64')}`) {
        res.writeHead(401);
        res.end();
        return;
      }
      const call = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        id: number;
        method: string;
        params: unknown[];
      };
      this.#count(`rpc:${call.method}`);
      if (this.mode === 'down') return send(503, {});
      const ok = (result: unknown) => send(200, { result, error: null, id: call.id });
      const fail = (code: number, message: string) =>
        send(code === -5 ? 404 : 500, { result: null, error: { code, message }, id: call.id });
      const chain = this.chain;
      const block = chain.blocks.find((b) => b.hash === call.params[0]);
      switch (call.method) {
        case 'getbestblockhash':
          return ok(chain.tip.hash);
        case 'getblockheader':
          if (!block) return fail(-5, 'Block not found');
          return ok({
            hash: block.hash,
            confirmations: chain.tip.height - block.height + 1,
            height: block.height,
            nTx: block.txs.length,
            ...(block.previousHash ? { previousblockhash: block.previousHash } : {}),
          });
        case 'getblock':
          if (!block) return fail(-5, 'Block not found');
          return ok({
            hash: block.hash,
            height: block.height,
            tx: block.txs.map((tx) => ({
              txid: tx.txid,
              vout: tx.outputs.map((o, n) => ({
                value: o.valueSats / 100_000_000,
                n,
                scriptPubKey: { address: o.address },
              })),
            })),
          });
        case 'getmempoolentry':
          return chain.mempool.some((t) => t.txid === call.params[0])
            ? ok({ vsize: 141, time: 0 })
            : fail(-5, 'Transaction not in mempool');
        default:
          return fail(-32601, 'Method not found');
      }
    });
  }
}
