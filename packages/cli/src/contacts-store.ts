// Pinned contacts (trust on first use): the public keys of every account this CLI has shared with
// or accepted a share from, per server and per logged-in account, in HOARD_HOME/contacts/ (0600
// files in a 0700 folder). A contact whose published keys later differ from the pinned ones is
// refused until the user compares safety numbers and re-verifies (`hoard contacts verify EMAIL`).

import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { VerifiedKeys } from '@hoard/client';
import { fromB64u, keyFingerprint, toB64u } from '@hoard/crypto';

export interface PinnedContact {
  email: string;
  userId: string;
  encryptionPublicKey: string;
  signingPublicKey: string;
  fingerprint: string;
  pinnedAt: string;
  /** When the user compared safety numbers and confirmed; null while only trusted on first use. */
  verifiedAt: string | null;
}

export type PinCheck =
  | { state: 'new'; contact: PinnedContact }
  | { state: 'same'; contact: PinnedContact }
  | { state: 'changed'; pinned: PinnedContact; current: PinnedContact };

export function contactOf(keys: VerifiedKeys, verified: boolean): PinnedContact {
  const now = new Date().toISOString();
  return {
    email: keys.email,
    userId: keys.userId,
    encryptionPublicKey: toB64u(keys.encryptionPublicKey),
    signingPublicKey: toB64u(keys.signingPublicKey),
    fingerprint: keyFingerprint(keys.encryptionPublicKey, keys.signingPublicKey),
    pinnedAt: now,
    verifiedAt: verified ? now : null,
  };
}

/** The keys of a pinned contact, as the SDK takes them. */
export function pinnedKeys(contact: PinnedContact): VerifiedKeys {
  return {
    userId: contact.userId,
    email: contact.email,
    encryptionPublicKey: fromB64u(contact.encryptionPublicKey),
    signingPublicKey: fromB64u(contact.signingPublicKey),
  };
}

export class ContactsStore {
  readonly path: string;

  constructor(homeDir: string, serverUrl: string, userId: string) {
    const scope = createHash('sha256').update(`${serverUrl}\n${userId}`).digest('hex').slice(0, 16);
    this.path = join(homeDir, 'contacts', `${scope}.json`);
  }

  async all(): Promise<PinnedContact[]> {
    try {
      const data = JSON.parse(await readFile(this.path, 'utf8')) as { contacts?: PinnedContact[] };
      return Array.isArray(data.contacts) ? data.contacts : [];
    } catch {
      return [];
    }
  }

  async find(email: string): Promise<PinnedContact | undefined> {
    return (await this.all()).find((c) => c.email === email);
  }

  async save(contact: PinnedContact): Promise<void> {
    const others = (await this.all()).filter((c) => c.email !== contact.email);
    const contacts = [...others, contact].sort((a, b) => (a.email < b.email ? -1 : 1));
    await mkdir(join(this.path, '..'), { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temp, JSON.stringify({ contacts }, null, 2) + '\n', { mode: 0o600 });
    await chmod(temp, 0o600);
    await rename(temp, this.path);
  }

  /** Compares published keys with the pinned ones; pins them when the contact is new. */
  async check(keys: VerifiedKeys): Promise<PinCheck> {
    const current = contactOf(keys, false);
    const pinned = await this.find(keys.email);
    if (!pinned) {
      await this.save(current);
      return { state: 'new', contact: current };
    }
    const same =
      pinned.userId === current.userId &&
      pinned.encryptionPublicKey === current.encryptionPublicKey &&
      pinned.signingPublicKey === current.signingPublicKey;
    return same ? { state: 'same', contact: pinned } : { state: 'changed', pinned, current };
  }
}
