// The public page of a link, /l/<id>#<key>, for anyone, with no account: a file (name, size,
// download, play or preview) or a folder (browse, download a file or everything as one ZIP). It
// asks for the password when the link has one, and says plainly when the link has expired, was
// revoked or used up. The key in the fragment stays in this page (and its service worker): the
// referrer policy keeps it out of every request.
import { ApiError, ClientError, openVersion, PublicLinkSession, type RemoteEntry } from '@hoard/client';
import { randomId } from '@hoard/crypto';
import { useEffect, useState, type FormEvent } from 'react';
import { registerStream, releaseStream, startDownload } from '../service-worker-client';
import { linkPasswordHashInWorker } from '../link-password';
import { ButtonTrail } from './button-trail';
import { ErrorMessage } from './dialog';
import { zipEntriesOf } from './file-manager';
import { describeError, formatBytes, formatDate } from './format';
import { mimeOf, Preview, previewKind, type PreviewKind } from './preview';

type State =
  | { kind: 'opening' }
  | { kind: 'password'; wrong: boolean }
  | { kind: 'failed'; message: string }
  | { kind: 'open'; link: PublicLinkSession };

/** What a person should read when a link cannot be opened. */
export function linkFailure(error: unknown): string {
  if (error instanceof ApiError) {
    switch (error.code) {
      case 'LINK_EXPIRED':
        return 'This link has expired.';
      case 'LINK_REVOKED':
        return 'This link was revoked by the person who shared it.';
      case 'LINK_EXHAUSTED':
        return 'This link has reached its download limit.';
      case 'LINK_DISABLED':
        return 'This link has been disabled by the operator of this server.';
      case 'LINK_GRANT_EXPIRED':
        return 'This download took too long to start. Reload the page and try again.';
      case 'NOT_FOUND':
        return 'There is no such link. Check that you copied all of it.';
    }
  }
  if (error instanceof ClientError)
    return error.message.charAt(0).toUpperCase() + error.message.slice(1) + '.';
  return describeError(error);
}

export function LinkPage() {
  const [state, setState] = useState<State>({ kind: 'opening' });
  const [password, setPassword] = useState('');

  async function open(withPassword?: string) {
    try {
      const link = await PublicLinkSession.open(
        location.href,
        withPassword === undefined
          ? {}
          : { password: () => Promise.resolve(withPassword), passwordHash: linkPasswordHashInWorker },
      );
      setState({ kind: 'open', link });
    } catch (error) {
      if (error instanceof ClientError && error.code === 'LINK_PASSWORD_REQUIRED')
        setState({ kind: 'password', wrong: false });
      else if (error instanceof ApiError && error.code === 'LINK_PASSWORD_WRONG')
        setState({ kind: 'password', wrong: true });
      else setState({ kind: 'failed', message: linkFailure(error) });
    }
  }

  useEffect(() => {
    void open();
  }, []);

  function submit(event: FormEvent) {
    event.preventDefault();
    setState({ kind: 'opening' });
    void open(password);
  }

  return (
    <main className="link-page">
      <div className="brand">
        <img src="/favicon.svg" alt="" width="28" height="28" /> Hoard
      </div>
      {state.kind === 'opening' && <p role="status">Opening the link…</p>}
      {state.kind === 'failed' && (
        <div className="card">
          <h1>This link cannot be opened</h1>
          <p role="alert">{state.message}</p>
        </div>
      )}
      {state.kind === 'password' && (
        <form className="card" onSubmit={submit}>
          <h1>This link is protected by a password</h1>
          <label>
            Password
            <input
              type="password"
              autoFocus
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </label>
          {state.wrong && (
            <p role="alert" className="error">
              Wrong password.
            </p>
          )}
          <button type="submit" className="primary">
            Open
          </button>
        </form>
      )}
      {state.kind === 'open' && <OpenLink link={state.link} />}
      <p className="hint">
        Files shared with Hoard are end-to-end encrypted: the key is in the link after #, and it is decrypted
        here, in your browser.
      </p>
    </main>
  );
}

function OpenLink(props: { link: PublicLinkSession }) {
  const { link } = props;
  const [trail, setTrail] = useState<RemoteEntry[]>([link.root]);
  const [entries, setEntries] = useState<RemoteEntry[]>();
  const [error, setError] = useState<string>();
  const [status, setStatus] = useState<string>();
  const [preview, setPreview] = useState<{
    entry: RemoteEntry;
    url: string;
    id: string;
    kind: PreviewKind;
  }>();
  const folder = trail[trail.length - 1]!;

  useEffect(() => {
    if (folder.type !== 'folder') return;
    setEntries(undefined);
    link.list(folder).then(
      (listing) => setEntries(listing.entries),
      (caught: unknown) => setError(linkFailure(caught)),
    );
  }, [link, folder]);

  async function grantPath(): Promise<string> {
    return `/links/${link.linkId}/grants/${await link.grant()}`;
  }

  async function fileTarget(entry: RemoteEntry, disposition: 'inline' | 'attachment') {
    const version = await currentVersionOf(entry);
    const id = randomId();
    const url = await registerStream({
      kind: 'file',
      id,
      serverUrl: link.serverUrl,
      grantPath: await grantPath(),
      version,
      name: entry.name,
      mime: mimeOf(entry.name, entry.mime),
      disposition,
    });
    return { url, id };
  }

  async function download(entry: RemoteEntry) {
    setError(undefined);
    try {
      if (entry.type === 'file') {
        startDownload((await fileTarget(entry, 'attachment')).url);
        setStatus(`Downloading ${entry.name}…`);
      } else {
        setStatus('Preparing the archive…');
        const url = await registerStream({
          kind: 'zip',
          id: randomId(),
          serverUrl: link.serverUrl,
          grantPath: await grantPath(),
          name: entry.name,
          entries: await zipEntriesOf({ list: (f) => link.list(f), currentVersion: currentVersionOf }, [
            entry,
          ]),
        });
        startDownload(url);
        setStatus(`Downloading ${entry.name}.zip…`);
      }
    } catch (caught) {
      setStatus(undefined);
      setError(linkFailure(caught));
    }
  }

  async function show(entry: RemoteEntry) {
    const kind = previewKind(mimeOf(entry.name, entry.mime));
    if (!kind) return download(entry);
    try {
      const { url, id } = await fileTarget(entry, 'inline');
      setPreview({ entry, url, id, kind });
    } catch (caught) {
      setError(linkFailure(caught));
    }
  }

  const info = link.info;
  const facts = [
    info.expiresAt ? `Available until ${formatDate(info.expiresAt)}` : undefined,
    info.downloadsLeft !== null ? `${info.downloadsLeft} download(s) left` : undefined,
  ].filter(Boolean);

  return (
    <section className="card" aria-labelledby="link-title">
      {link.root.type === 'file' ? (
        <>
          <h1 id="link-title">{link.root.name}</h1>
          <p>{formatBytes(link.root.sizeBytes)}</p>
          {facts.length > 0 && <p className="hint">{facts.join(' · ')}</p>}
          <div className="row-actions">
            <button type="button" className="primary" onClick={() => void download(link.root)}>
              Download
            </button>
            {previewKind(mimeOf(link.root.name, link.root.mime)) && (
              <button type="button" onClick={() => void show(link.root)}>
                {/^(video|audio)\//.test(mimeOf(link.root.name, link.root.mime)) ? 'Play' : 'Preview'}
              </button>
            )}
          </div>
        </>
      ) : (
        <>
          <h1 id="link-title">{link.root.name}</h1>
          {facts.length > 0 && <p className="hint">{facts.join(' · ')}</p>}
          <ButtonTrail trail={trail} onTrail={setTrail} />
          <div className="row-actions">
            <button type="button" className="primary" onClick={() => void download(folder)}>
              Download all
            </button>
          </div>
          <table className="bin-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Size</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {entries?.map((entry) => (
                <tr key={entry.id} aria-label={entry.name}>
                  <td>
                    {entry.type === 'folder' ? (
                      <button type="button" className="link" onClick={() => setTrail([...trail, entry])}>
                        {entry.name}
                      </button>
                    ) : (
                      <button type="button" className="link" onClick={() => void show(entry)}>
                        {entry.name}
                      </button>
                    )}
                  </td>
                  <td>{entry.type === 'folder' ? 'folder' : formatBytes(entry.sizeBytes)}</td>
                  <td>
                    <button
                      type="button"
                      aria-label={`Download ${entry.name}`}
                      onClick={() => void download(entry)}
                    >
                      Download
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {entries === undefined && !error && <p role="status">Loading…</p>}
          {entries?.length === 0 && <p className="hint">This folder is empty.</p>}
        </>
      )}
      <ErrorMessage error={error} />
      <p role="status">{status}</p>
      {preview && (
        <Preview
          name={preview.entry.name}
          url={preview.url}
          kind={preview.kind}
          onClose={() => {
            void releaseStream(preview.id);
            setPreview(undefined);
          }}
          onDownload={() => void download(preview.entry)}
        />
      )}
    </section>
  );
}

function currentVersionOf(entry: RemoteEntry) {
  if (!entry.node.currentVersion) throw new ClientError('NOT_FOUND', `${entry.name} has no content yet`);
  return openVersion(entry.key, entry.node.currentVersion);
}
