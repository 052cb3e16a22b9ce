// The "Share with a person" part of the share dialog of a folder: the other account's keys are
// looked up (their signature checked by the SDK), pinned in this browser on first use and refused
// if they changed until the user compares safety numbers and trusts the new ones; the folder key is
// sealed to them. Lists the folder's members with their access, each removable.
import { ApiError, type HoardSession, type RemoteEntry, type VerifiedKeys } from '@hoard/client';
import type { Share } from '@hoard/protocol';
import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { ChangedKeysError, Contacts, contactOf } from '../contacts';
import { ErrorMessage } from './dialog';
import { describeError } from './format';

export function shareFailure(error: unknown): string {
  if (error instanceof ChangedKeysError) return error.message;
  if (error instanceof ApiError) {
    if (error.code === 'NOT_FOUND') return 'There is no account with that email on this server.';
    if (error.code === 'ALREADY_SHARED') return 'This folder is already shared with that person.';
  }
  return describeError(error);
}

export function SharePeople(props: { session: HoardSession; folder: RemoteEntry }) {
  const { session, folder } = props;
  const [email, setEmail] = useState('');
  const [canEdit, setCanEdit] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [status, setStatus] = useState<string>();
  const [safety, setSafety] = useState<{ email: string; number: string }>();
  const [changed, setChanged] = useState<VerifiedKeys>();
  const [members, setMembers] = useState<Share[]>();
  const headingId = useId();

  const refresh = useCallback(async () => {
    try {
      const { outgoing } = await session.shares.list();
      setMembers(outgoing.filter((s) => s.folderId === folder.id && s.status !== 'declined'));
    } catch (caught) {
      setError(describeError(caught));
    }
  }, [session, folder]);
  useEffect(() => void refresh(), [refresh]);

  async function share(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setStatus(undefined);
    setChanged(undefined);
    setSafety(undefined);
    try {
      if (email.trim().toLowerCase() === session.email) throw new Error('You cannot share with yourself.');
      const keys = await session.shares.lookup(email);
      const number = await session.shares.safetyNumberWith(keys);
      setSafety({ email: keys.email, number });
      try {
        new Contacts(session.userId).trust(keys);
      } catch (caught) {
        if (caught instanceof ChangedKeysError) setChanged(keys);
        throw caught;
      }
      const access = canEdit ? 'write' : 'read';
      await session.shares.share(folder, keys, access);
      setStatus(
        `Invited ${keys.email} (${access === 'write' ? 'can edit' : 'read-only'}). They see it once they accept.`,
      );
      setEmail('');
      await refresh();
    } catch (caught) {
      setError(shareFailure(caught));
    } finally {
      setBusy(false);
    }
  }

  function trustNewKeys() {
    if (!changed) return;
    new Contacts(session.userId).pin(contactOf(changed));
    setChanged(undefined);
    setError(undefined);
    setStatus(`The new keys of ${changed.email} are trusted now. Share again.`);
  }

  async function remove(share: Share) {
    setError(undefined);
    try {
      await session.shares.remove(share.id);
      setStatus(`Removed ${share.member.email}.`);
      await refresh();
    } catch (caught) {
      setError(describeError(caught));
    }
  }

  return (
    <section aria-labelledby={headingId} className="share-people">
      <h3 id={headingId}>Share with a person</h3>
      <form onSubmit={(e) => void share(e)} className="share-options">
        <label>
          Person&apos;s email
          <input
            type="email"
            required
            autoComplete="off"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label className="check">
          <input type="checkbox" checked={canEdit} onChange={(e) => setCanEdit(e.target.checked)} />
          Can edit
        </label>
        <button type="submit" disabled={busy}>
          Share with person
        </button>
      </form>
      {safety && (
        <p className="safety">
          Safety number with {safety.email}: <code aria-label="Safety number">{safety.number}</code>. Compare
          it with theirs (in person or by phone) to be sure it is them.
        </p>
      )}
      <ErrorMessage error={error} />
      {changed && (
        <button type="button" onClick={trustNewKeys}>
          I compared the safety number: trust the new keys
        </button>
      )}
      <p role="status">{status}</p>
      <h4>People with access</h4>
      {members?.length === 0 && <p className="hint">Only you.</p>}
      <ul className="links">
        {members?.map((m) => (
          <li key={m.id} className="link-item" aria-label={m.member.email}>
            <div>
              <strong>{m.member.email}</strong> · {m.access === 'write' ? 'can edit' : 'read-only'}
              {m.status === 'pending' && ' · invited'}
            </div>
            <div className="row-actions">
              <button type="button" className="danger" onClick={() => void remove(m)}>
                Remove
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
