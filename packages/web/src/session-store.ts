// Where the page keeps the login between loads. [Note: web session storage]
// What is stored is the client's SavedSession: the master key wrapped under a key derived from the
// session's secret, which the server hands out only to a valid session token. That alone would be
// the CLI's session.json. In a browser, localStorage is readable by any script of the origin and
// sits in plain files of the profile, so the page stores the SavedSession in IndexedDB, sealed
// (AES-256-GCM) under a non-extractable "device key" made by this browser: script can use that
// key but never read its bytes, so a copied profile entry or an exfiltrated record is not a
// session. The master key itself is never written anywhere; it exists unwrapped only in memory
// (this page and its workers). Logging out revokes the session on the server (the wrapped master
// key becomes undecryptable for good) and deletes the record.
import type { SavedSession } from '@hoard/client';
import { idbDelete, idbGet, idbSet } from './shared/idb';

interface SealedSession {
  iv: Uint8Array<ArrayBuffer>;
  sealed: ArrayBuffer;
}

async function deviceKey(): Promise<CryptoKey> {
  const existing = await idbGet<CryptoKey>('kv', 'device-key');
  if (existing) return existing;
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
  await idbSet('kv', 'device-key', key);
  return key;
}

export async function storeSession(saved: SavedSession): Promise<void> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plaintext = new TextEncoder().encode(JSON.stringify(saved));
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await deviceKey(), plaintext);
  await idbSet('kv', 'session', { iv, sealed } satisfies SealedSession);
}

export async function loadSession(): Promise<SavedSession | undefined> {
  const record = await idbGet<SealedSession>('kv', 'session');
  if (!record) return undefined;
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: record.iv },
      await deviceKey(),
      record.sealed,
    );
    return JSON.parse(new TextDecoder().decode(plaintext)) as SavedSession;
  } catch {
    await forgetSession();
    return undefined;
  }
}

export async function forgetSession(): Promise<void> {
  await idbDelete('kv', 'session');
}
