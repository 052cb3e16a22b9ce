// Sign up, log in, recover with the words, and the one-time screen that shows the recovery words.
import type { HoardClient, HoardSession } from '@hoard/client';
import { runAuth } from '../auth';
import { useState, type FormEvent } from 'react';
import { ErrorMessage } from './dialog';
import { describeError } from './format';

export type AuthMode = 'login' | 'signup' | 'recover';

export function AuthPage(props: {
  client: HoardClient;
  mode: AuthMode;
  navigate: (path: string) => void;
  onLoggedIn: (session: HoardSession) => void;
  onSignedUp: (session: HoardSession, words: string[]) => void;
  notice?: string | undefined;
}) {
  const { mode } = props;
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [words, setWords] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (mode === 'signup') {
        const { session, words: recoveryWords } = await runAuth(props.client, {
          type: 'signup',
          email,
          password,
        });
        props.onSignedUp(session, recoveryWords ?? []);
      } else if (mode === 'login') {
        props.onLoggedIn((await runAuth(props.client, { type: 'login', email, password })).session);
      } else {
        const list = words.trim().split(/\s+/);
        props.onLoggedIn(
          (await runAuth(props.client, { type: 'recover', email, words: list, password })).session,
        );
      }
    } catch (caught) {
      setError(describeError(caught));
      setBusy(false);
    }
  }

  const title =
    mode === 'signup' ? 'Create your account' : mode === 'login' ? 'Log in to Hoard' : 'Recover your account';
  return (
    <main className="auth">
      <div className="brand" aria-hidden="true">
        <img src="/favicon.svg" alt="" width="40" height="40" /> Hoard
      </div>
      <h1>{title}</h1>
      {props.notice && <p className="notice">{props.notice}</p>}
      <form onSubmit={(e) => void submit(e)} className="card" aria-busy={busy}>
        <label>
          Email
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        {mode === 'recover' && (
          <label>
            Recovery words
            <textarea
              name="words"
              rows={4}
              required
              spellCheck={false}
              value={words}
              onChange={(e) => setWords(e.target.value)}
            />
          </label>
        )}
        <label>
          {mode === 'recover' ? 'New password' : 'Password'}
          <input
            type="password"
            name="password"
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
            required
            minLength={mode === 'login' ? 1 : 10}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {mode === 'signup' && (
          <p className="hint">
            At least 10 characters. Your files are encrypted with keys only you hold: nobody, not even us, can
            reset this password. Your recovery words are shown next.
          </p>
        )}
        <ErrorMessage error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {mode === 'signup' ? 'Create account' : mode === 'login' ? 'Log in' : 'Recover account'}
        </button>
        {busy && <p role="status">Working… (keys are derived from your password, this takes a moment)</p>}
      </form>
      <nav className="auth-links" aria-label="Other ways in">
        {mode !== 'login' && (
          <a href="/login" onClick={(e) => go(e, '/login')}>
            I have an account: log in
          </a>
        )}
        {mode !== 'signup' && (
          <a href="/signup" onClick={(e) => go(e, '/signup')}>
            New here? Create an account
          </a>
        )}
        {mode !== 'recover' && (
          <a href="/recover" onClick={(e) => go(e, '/recover')}>
            Forgot your password?
          </a>
        )}
      </nav>
    </main>
  );

  function go(event: React.MouseEvent, path: string) {
    event.preventDefault();
    setError(undefined);
    props.navigate(path);
  }
}

export function RecoveryWordsPage(props: { email: string; words: string[]; onContinue: () => void }) {
  const [saved, setSaved] = useState(false);
  const [downloaded, setDownloaded] = useState(false);
  const text = props.words.join(' ');

  function download() {
    const body = `Hoard recovery words for ${props.email}\n\n${props.words
      .map((w, i) => `${String(i + 1).padStart(2, ' ')}. ${w}`)
      .join(
        '\n',
      )}\n\nKeep them offline. With them anyone can open this account; without them a forgotten password loses your files.\n`;
    const url = URL.createObjectURL(new Blob([body], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'hoard-recovery-words.txt';
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    setDownloaded(true);
  }

  return (
    <main className="auth">
      <h1>Your recovery words</h1>
      <div className="card">
        <p>
          These 24 words are the only way back into your account if you forget your password.{' '}
          <strong>Nobody can reset it for you</strong>: without the words, a lost password loses your files.
          Write them down or download them now; they will not be shown again.
        </p>
        <ol className="words" aria-label="Recovery words">
          {props.words.map((word, i) => (
            <li key={i}>{word}</li>
          ))}
        </ol>
        <div className="row-actions">
          <button type="button" onClick={download}>
            Download words
          </button>
          <button type="button" onClick={() => void navigator.clipboard?.writeText(text)}>
            Copy words
          </button>
        </div>
        {downloaded && <p role="status">Saved as hoard-recovery-words.txt.</p>}
        <label className="check">
          <input type="checkbox" checked={saved} onChange={(e) => setSaved(e.target.checked)} />I have saved
          my recovery words
        </label>
        <button type="button" className="primary" disabled={!saved && !downloaded} onClick={props.onContinue}>
          Continue
        </button>
      </div>
    </main>
  );
}
