// Pinned contacts in the browser (trust on first use), like the CLI's: the public keys of every
// account this browser has shared with or accepted a share from, per logged-in account, in
// localStorage (public data only). Keys that differ from the pinned ones are refused until the
// user compares safety numbers and trusts the new keys.
import type { VerifiedKeys } from '@hoard/client';
import { keyFingerprint, toB64u } from '@hoard/crypto';

export interface PinnedContact {
  email: string;
  userId: string;
  encryptionPublicKey: string;
  signingPublicKey: string;
  fingerprint: string;
  pinnedAt: string;
}

export type PinCheck =
  | { state: 'new'; contact: PinnedContact }
  | { state: 'same'; contact: PinnedContact }
  | { state: 'changed'; pinned: PinnedContact; current: PinnedContact };

export function contactOf(keys: VerifiedKeys): PinnedContact {
  return {
    email: keys.email,
    userId: keys.userId,
    encryptionPublicKey: toB64u(keys.encryptionPublicKey),
    signingPublicKey: toB64u(keys.signingPublicKey),
    fingerprint: keyFingerprint(keys.encryptionPublicKey, keys.signingPublicKey),
    pinnedAt: new Date().toISOString(),
  };
}

export class Contacts {
  readonly #key: string;

  constructor(ownUserId: string) {
    this.#key = `hoard.contacts.${ownUserId}`;
  }

  all(): PinnedContact[] {
    try {
      const data = JSON.parse(localStorage.getItem(this.#key) ?? '[]') as unknown;
      return Array.isArray(data) ? (data as PinnedContact[]) : [];
    } catch {
      return [];
    }
  }

  pin(contact: PinnedContact): void {
    const others = this.all().filter((c) => c.email !== contact.email);
    localStorage.setItem(this.#key, JSON.stringify([...others, contact]));
  }

  /** Compares `keys` with the pinned ones (pinning nothing). */
  check(keys: VerifiedKeys): PinCheck {
    const current = contactOf(keys);
    const pinned = this.all().find((c) => c.email === keys.email);
    if (!pinned) return { state: 'new', contact: current };
    const same =
      pinned.userId === current.userId &&
      pinned.encryptionPublicKey === current.encryptionPublicKey &&
      pinned.signingPublicKey === current.signingPublicKey;
    return same ? { state: 'same', contact: pinned } : { state: 'changed', pinned, current };
  }

  /** Trust on first use: new keys are pinned and pass, the same pass, changed ones throw. */
  trust(keys: VerifiedKeys): PinnedContact {
    const check = this.check(keys);
    if (check.state === 'changed') throw new ChangedKeysError(check.pinned, check.current);
    if (check.state === 'new') this.pin(check.contact);
    return check.contact;
  }
}

export class ChangedKeysError extends Error {
  constructor(
    readonly pinned: PinnedContact,
    readonly current: PinnedContact,
  ) {
    super(
      `The keys of ${current.email} changed since you first shared with them (fingerprint was ` +
        `${pinned.fingerprint}, now ${current.fingerprint}). Someone may be impersonating them, or they ` +
        `made a new account. Compare safety numbers with them before trusting the new keys.`,
    );
  }
}
