// The share dialog of a file or folder: a new public link (optionally with a password, an expiry
// date and a download limit), its URL to copy (the key is in the part after #, which never reaches
// the server), and the item's existing links: copy, change the expiry or limit, revoke.
import type { HoardSession, OwnedLink, RemoteEntry } from '@hoard/client';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { linkPasswordHashInWorker } from '../link-password';
import { Dialog, ErrorMessage } from './dialog';
import { describeError, formatDate } from './format';
import { SharePeople } from './share-people';

/** A date input's value (yyyy-mm-dd) as the end of that day, local time. */
function endOfDay(value: string): Date {
  const [y, m, d] = value.split('-').map(Number);
  return new Date(y!, m! - 1, d, 23, 59, 59);
}

const statusText: Record<string, string> = {
  active: 'active',
  expired: 'expired',
  exhausted: 'download limit reached',
  revoked: 'revoked',
  disabled: 'disabled by the operator',
  gone: 'the item is gone',
};

export function ShareDialog(props: { session: HoardSession; entry: RemoteEntry; onClose: () => void }) {
  const { session, entry } = props;
  const [password, setPassword] = useState('');
  const [expires, setExpires] = useState('');
  const [limit, setLimit] = useState('');
  const [url, setUrl] = useState<string>();
  const [links, setLinks] = useState<OwnedLink[]>();
  const [error, setError] = useState<string>();
  const [status, setStatus] = useState<string>();
  const [busy, setBusy] = useState(false);

  const refresh = useCallback(async () => {
    try {
      setLinks((await session.links.list()).filter((l) => l.link.nodeId === entry.id));
    } catch (caught) {
      setError(describeError(caught));
    }
  }, [session, entry]);
  useEffect(() => void refresh(), [refresh]);

  async function create(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const created = await session.links.create(entry, {
        ...(password ? { password, passwordHash: linkPasswordHashInWorker } : {}),
        ...(expires ? { expiresAt: endOfDay(expires) } : {}),
        ...(limit ? { maxDownloads: Number(limit) } : {}),
      });
      setUrl(created.url);
      setStatus('Link created. Anyone with it can open this item; copy it below.');
      await refresh();
    } catch (caught) {
      setError(describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  async function copy(text: string) {
    try {
      await navigator.clipboard.writeText(text);
      setStatus('Copied.');
    } catch {
      setStatus('Select the link and copy it.');
    }
  }

  return (
    <Dialog title={`Share ${entry.name}`} onClose={props.onClose} wide>
      <form onSubmit={(e) => void create(e)} className="share-form">
        <div className="share-options">
          <label>
            Password (optional)
            <input
              type="password"
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </label>
          <label>
            Expires on
            <input type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
          </label>
          <label>
            Download limit
            <input
              type="number"
              min={1}
              inputMode="numeric"
              value={limit}
              onChange={(e) => setLimit(e.target.value)}
            />
          </label>
        </div>
        <div className="row-actions">
          <button type="submit" className="primary" disabled={busy}>
            Create link
          </button>
        </div>
      </form>
      {url && (
        <div className="share-url">
          <label>
            Link
            <input readOnly value={url} onFocus={(e) => e.currentTarget.select()} />
          </label>
          <button type="button" onClick={() => void copy(url)}>
            Copy
          </button>
        </div>
      )}
      <ErrorMessage error={error} />
      <p role="status">{status}</p>
      <h3>Links to this item</h3>
      {links?.length === 0 && <p className="hint">None yet.</p>}
      <ul className="links">
        {links?.map((owned) => (
          <ExistingLink
            key={owned.link.id}
            owned={owned}
            session={session}
            onChanged={() => void refresh()}
            onCopy={(text) => void copy(text)}
            onError={(caught) => setError(describeError(caught))}
          />
        ))}
      </ul>
      {entry.type === 'folder' && entry.id !== session.tree.rootNodeId && (
        <SharePeople session={session} folder={entry} />
      )}
    </Dialog>
  );
}

function ExistingLink(props: {
  owned: OwnedLink;
  session: HoardSession;
  onChanged: () => void;
  onCopy: (url: string) => void;
  onError: (error: unknown) => void;
}) {
  const { link, url } = props.owned;
  const [editing, setEditing] = useState(false);
  const [expires, setExpires] = useState(link.expiresAt ? link.expiresAt.slice(0, 10) : '');
  const [limit, setLimit] = useState(link.maxDownloads === null ? '' : String(link.maxDownloads));
  const active = link.status === 'active';
  const label = `Link of ${formatDate(link.createdAt)}`;

  async function save(event: FormEvent) {
    event.preventDefault();
    try {
      await props.session.links.update(link.id, {
        expiresAt: expires ? endOfDay(expires) : null,
        maxDownloads: limit ? Number(limit) : null,
      });
      setEditing(false);
      props.onChanged();
    } catch (caught) {
      props.onError(caught);
    }
  }

  return (
    <li className="link-item" aria-label={label}>
      <div>
        <strong>{label}</strong> · {statusText[link.status] ?? link.status}
        {link.passwordRequired && ' · password'}
        {link.expiresAt && ` · expires ${formatDate(link.expiresAt)}`}
        {` · ${link.downloadCount}${link.maxDownloads !== null ? ` of ${link.maxDownloads}` : ''} downloads`}
      </div>
      {active && (
        <div className="row-actions">
          {url && (
            <button type="button" onClick={() => props.onCopy(url)}>
              Copy link
            </button>
          )}
          <button type="button" onClick={() => setEditing((e) => !e)} aria-expanded={editing}>
            Change
          </button>
          <button
            type="button"
            className="danger"
            onClick={() => void props.session.links.revoke(link.id).then(props.onChanged, props.onError)}
          >
            Revoke
          </button>
        </div>
      )}
      {editing && (
        <form className="share-options" onSubmit={(e) => void save(e)}>
          <label>
            New expiry
            <input type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
          </label>
          <label>
            New download limit
            <input type="number" min={1} value={limit} onChange={(e) => setLimit(e.target.value)} />
          </label>
          <button type="submit">Save</button>
        </form>
      )}
    </li>
  );
}
