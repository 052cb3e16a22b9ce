// The app shell: who is logged in (restored from the sealed saved session at start), the routes
// (/login, /signup, /recover, /files/<path>, /shared, /bin, /billing (plans), /settings), the header
// with the quota bar.
import { ApiError, HoardClient, type Account, type HoardSession, type SavedSession } from '@hoard/client';
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { forgetSession, loadSession, storeSession } from './session-store';
import { serviceWorker } from './service-worker-client';
import type { PendingUpload } from './shared/idb-resume-store';
import { UploadManager, type LocateFolder } from './upload-manager';
import { AuthPage, RecoveryWordsPage, type AuthMode } from './ui/auth-pages';
import { BinPage } from './ui/bin-page';
import { FileManager } from './ui/file-manager';
import { LinkPage } from './ui/link-page';
import { describeError, formatBytes } from './ui/format';
import { PlansPage } from './ui/plans-page';
import { RenewalBanner } from './ui/renewal-banner';
import { SettingsPage } from './ui/settings-page';
import { openSharedFolder, SharedWithMePage } from './ui/shared-with-me';
import { Transfers } from './ui/transfers';

type State =
  | { kind: 'loading' }
  | { kind: 'anonymous'; notice?: string }
  | { kind: 'words'; session: HoardSession; words: string[] }
  | { kind: 'in'; session: HoardSession; saved: SavedSession };

function subscribeLocation(listener: () => void) {
  window.addEventListener('popstate', listener);
  return () => window.removeEventListener('popstate', listener);
}

export function navigate(path: string): void {
  if (path === location.pathname) return;
  history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/** The folder of an upload a reload interrupted, found again by its path in its tree. */
async function locateFolder(session: HoardSession, pending: PendingUpload): ReturnType<LocateFolder> {
  if (pending.shareId === undefined) return { parent: await session.tree.getFolder(pending.folderPath) };
  const { folder, destination } = await openSharedFolder(session, pending.shareId);
  // Paths in a shared folder start with its own name; get() takes them from below it.
  const root = folder.root.path;
  if (pending.folderPath !== root && !pending.folderPath.startsWith(`${root}/`))
    throw new Error(`${pending.folderPath} is no longer in the shared folder ${folder.root.name}.`);
  const parent = await folder.get(pending.folderPath.slice(root.length));
  if (parent.type !== 'folder') throw new Error(`${pending.folderPath} is no longer a folder.`);
  return { parent, shared: destination };
}

export function App() {
  const pathname = useSyncExternalStore(subscribeLocation, () => location.pathname);
  const client = useMemo(() => new HoardClient({ serverUrl: location.origin }), []);
  const uploads = useMemo(() => new UploadManager(), []);
  const [state, setState] = useState<State>({ kind: 'loading' });

  useEffect(() => {
    void serviceWorker().catch(() => undefined);
    void (async () => {
      const saved = await loadSession();
      if (!saved) return setState({ kind: 'anonymous' });
      try {
        const session = await client.resume(saved);
        uploads.setSession(saved);
        setState({ kind: 'in', session, saved });
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          await forgetSession();
          setState({ kind: 'anonymous', notice: 'Your session has ended. Log in again.' });
        } else setState({ kind: 'anonymous', notice: describeError(error) });
      }
    })();
  }, [client, uploads]);

  const enter = useCallback(
    async (session: HoardSession) => {
      const saved = await session.save();
      await storeSession(saved);
      uploads.setSession(saved);
      setState({ kind: 'in', session, saved });
      if (!location.pathname.startsWith('/files')) navigate('/files');
    },
    [uploads],
  );

  const logout = useCallback(async (session: HoardSession | undefined) => {
    try {
      await session?.logout();
    } catch {
      // already ended on the server: forgetting it here is all that is left
    }
    await forgetSession();
    setState({ kind: 'anonymous' });
    navigate('/login');
  }, []);

  // A link's page needs no account (and shows no account's files even when one is logged in).
  if (pathname.startsWith('/l/')) return <LinkPage />;
  if (state.kind === 'loading') {
    return (
      <main className="auth">
        <p role="status">Opening Hoard…</p>
      </main>
    );
  }
  if (state.kind === 'words') {
    return (
      <RecoveryWordsPage
        email={state.session.email}
        words={state.words}
        onContinue={() => void enter(state.session)}
      />
    );
  }
  if (state.kind === 'anonymous') {
    const mode: AuthMode = pathname === '/signup' ? 'signup' : pathname === '/recover' ? 'recover' : 'login';
    return (
      <AuthPage
        key={mode}
        client={client}
        mode={mode}
        navigate={navigate}
        notice={state.notice}
        onLoggedIn={(session) => void enter(session)}
        onSignedUp={(session, words) => setState({ kind: 'words', session, words })}
      />
    );
  }

  const { session, saved } = state;
  let page;
  if (pathname === '/bin') page = <BinPage session={session} />;
  else if (pathname === '/shared')
    page = <SharedWithMePage session={session} saved={saved} uploads={uploads} />;
  else if (pathname === '/billing') page = <PlansPage session={session} />;
  else if (pathname === '/settings')
    page = (
      <SettingsPage
        client={client}
        session={session}
        saved={saved}
        onAccountGone={() => void logout(undefined)}
      />
    );
  else {
    const path = pathname.startsWith('/files')
      ? pathname
          .slice('/files'.length)
          .split('/')
          .filter(Boolean)
          .map((p) => decodeURIComponent(p))
          .join('/')
      : '';
    page = <FileManager session={session} saved={saved} uploads={uploads} path={path} navigate={navigate} />;
  }
  return (
    <div className="shell">
      <Header session={session} uploads={uploads} pathname={pathname} onLogout={() => void logout(session)} />
      <RenewalBanner session={session} pathname={pathname} navigate={navigate} />
      <main className="content">{page}</main>
      <Transfers uploads={uploads} locate={(pending) => locateFolder(session, pending)} />
    </div>
  );
}

function Header(props: {
  session: HoardSession;
  uploads: UploadManager;
  pathname: string;
  onLogout: () => void;
}) {
  const [account, setAccount] = useState<Account>();
  const { session, uploads } = props;
  // The quota bar follows uploads as they land.
  const landed = useSyncExternalStore(uploads.subscribe, () => uploads.landedCount);
  useEffect(() => {
    session.account().then(setAccount, () => undefined);
  }, [session, props.pathname, landed]);
  const quota = account?.quota;
  const link = (path: string, label: string, current: boolean) => (
    <a
      href={path}
      aria-current={current ? 'page' : undefined}
      onClick={(e) => {
        e.preventDefault();
        navigate(path);
      }}
    >
      {label}
    </a>
  );
  return (
    <header className="header">
      <a
        className="brand"
        href="/files"
        onClick={(e) => {
          e.preventDefault();
          navigate('/files');
        }}
      >
        <img src="/favicon.svg" alt="" width="28" height="28" /> Hoard
      </a>
      <nav aria-label="Main" className="main-nav">
        {link('/files', 'My files', props.pathname.startsWith('/files') || props.pathname === '/')}
        {link('/shared', 'Shared with me', props.pathname === '/shared')}
        {link('/bin', 'Bin', props.pathname === '/bin')}
        {link('/billing', 'Plans', props.pathname === '/billing')}
        {link('/settings', 'Account', props.pathname === '/settings')}
      </nav>
      {quota && (
        <div className="quota">
          <progress
            aria-label="Storage used"
            max={quota.limitBytes}
            value={quota.usedBytes + quota.reservedBytes}
          />
          <span>
            {formatBytes(quota.usedBytes)} of {formatBytes(quota.limitBytes)}
          </span>
        </div>
      )}
      <span className="who">{session.email}</span>
      <button type="button" onClick={props.onLogout}>
        Log out
      </button>
    </header>
  );
}
