// Receive addresses from the operator's extended PUBLIC key: the key's version says the script
// (SLIP-132): xpub/tpub -> BIP44 P2PKH, ypub/upub -> BIP49 P2SH-P2WPKH, zpub/vpub -> BIP84 P2WPKH.
// Address i is the key's child 0/i (the receive chain), exactly as the operator's wallet derives it,
// so the wallet sees the coins. @scure/bip32 derives, @scure/btc-signer encodes.
// Never: accept a private key (xprv...); the server holds nothing that can spend.
import { HDKey } from '@scure/bip32';
import { NETWORK, p2pkh, p2sh, p2wpkh, TEST_NETWORK } from '@scure/btc-signer';
import type { BitcoinNetwork } from '../payments-config.js';

export type ScriptKind = 'p2pkh' | 'p2sh-p2wpkh' | 'p2wpkh';

interface KeyVersion {
  public: number;
  private: number;
  script: ScriptKind;
  mainnet: boolean;
}

/** SLIP-132 version bytes of the single-signature extended public keys. */
const VERSIONS: Record<string, KeyVersion> = {
  xpub: { public: 0x0488b21e, private: 0x0488ade4, script: 'p2pkh', mainnet: true },
  ypub: { public: 0x049d7cb2, private: 0x049d7878, script: 'p2sh-p2wpkh', mainnet: true },
  zpub: { public: 0x04b24746, private: 0x04b2430c, script: 'p2wpkh', mainnet: true },
  tpub: { public: 0x043587cf, private: 0x04358394, script: 'p2pkh', mainnet: false },
  upub: { public: 0x044a5262, private: 0x044a4e28, script: 'p2sh-p2wpkh', mainnet: false },
  vpub: { public: 0x045f1cf6, private: 0x045f18bc, script: 'p2wpkh', mainnet: false },
};

const REGTEST = { ...TEST_NETWORK, bech32: 'bcrt' };

function networkParams(network: BitcoinNetwork) {
  if (network === 'mainnet') return NETWORK;
  return network === 'regtest' ? REGTEST : TEST_NETWORK;
}

/** Derives the receive addresses of one extended public key. */
export class XpubAddresses {
  readonly script: ScriptKind;
  readonly #receive: HDKey;
  readonly #network: ReturnType<typeof networkParams>;

  constructor(extendedKey: string, network: BitcoinNetwork) {
    const prefix = extendedKey.slice(0, 4);
    const version = VERSIONS[prefix];
    if (!version)
      throw new Error('HOARD_XPUB must be an xpub, ypub, zpub, tpub, upub or vpub (never a private key)');
    if (version.mainnet !== (network === 'mainnet')) {
      throw new Error(`a ${prefix} is not a key for ${network}`);
    }
    const key = HDKey.fromExtendedKey(extendedKey, { public: version.public, private: version.private });
    if (key.privateKey) throw new Error('HOARD_XPUB is a private key; give the extended public key');
    this.script = version.script;
    this.#receive = key.deriveChild(0);
    this.#network = networkParams(network);
  }

  /** The address at receive index `index` (0/index below the key). */
  address(index: number): string {
    if (!Number.isSafeInteger(index) || index < 0 || index >= 0x80000000)
      throw new Error('index out of range');
    const publicKey = this.#receive.deriveChild(index).publicKey;
    if (!publicKey) throw new Error('no public key');
    let address: string | undefined;
    if (this.script === 'p2wpkh') address = p2wpkh(publicKey, this.#network).address;
    else if (this.script === 'p2pkh') address = p2pkh(publicKey, this.#network).address;
    else address = p2sh(p2wpkh(publicKey, this.#network), this.#network).address;
    if (!address) throw new Error('no address');
    return address;
  }
}
