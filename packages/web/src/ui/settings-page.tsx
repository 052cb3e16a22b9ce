// Account settings: password, sessions, deleting the account.
import type { HoardClient, HoardSession, SavedSession, SessionInfo } from '@hoard/client';
import { runAuth } from '../auth';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ErrorMessage } from './dialog';
import { describeError, formatDate } from './format';

export function SettingsPage(props: {
  client: HoardClient;
  session: HoardSession;
  saved: SavedSession;
  onAccountGone: () => void;
}) {
  const { session } = props;
  const [sessions, setSessions] = useState<SessionInfo[]>();
  const [password, setPassword] = useState('');
  const [confirmEmail, setConfirmEmail] = useState('');
  const [error, setError] = useState<string>();
  const [status, setStatus] = useState<string>();

  const refresh = useCallback(async () => {
    try {
      setSessions(await session.sessions());
    } catch (caught) {
      setError(describeError(caught));
    }
  }, [session]);
  useEffect(() => void refresh(), [refresh]);

  async function act(done: string, action: () => Promise<void>) {
    setError(undefined);
    setStatus(undefined);
    try {
      await action();
      setStatus(done);
    } catch (caught) {
      setError(describeError(caught));
    }
  }

  return (
    <section className="settings" aria-labelledby="settings-title">
      <h1 id="settings-title">Account</h1>
      <p>Logged in as {session.email}.</p>
      <ErrorMessage error={error} />
      <p role="status">{status}</p>
      <form
        className="card"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          void act('Your password is changed; your other sessions were logged out.', async () => {
            await runAuth(props.client, { type: 'change-password', saved: props.saved, password });
            setPassword('');
            await refresh();
          });
        }}
      >
        <h2>Change password</h2>
        <label>
          New password
          <input
            type="password"
            autoComplete="new-password"
            minLength={10}
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button type="submit">Change password</button>
      </form>
      <div className="card">
        <h2>Sessions</h2>
        <ul className="sessions">
          {sessions?.map((s) => (
            <li key={s.id}>
              Since {formatDate(s.createdAt)}, until {formatDate(s.expiresAt)}
              {s.current ? ' (this browser)' : ''}{' '}
              {!s.current && (
                <button
                  type="button"
                  onClick={() =>
                    void act('The session is logged out.', () => session.revokeSession(s.id).then(refresh))
                  }
                >
                  Log out this session
                </button>
              )}
            </li>
          ))}
        </ul>
      </div>
      <form
        className="card"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          void act('Your account is deleted.', async () => {
            await session.deleteAccount(confirmEmail);
            props.onAccountGone();
          });
        }}
      >
        <h2>Delete account</h2>
        <p>Every file, folder and version is deleted for good. Type your email to confirm.</p>
        <label>
          Confirm email
          <input
            type="email"
            required
            value={confirmEmail}
            onChange={(e) => setConfirmEmail(e.target.value)}
          />
        </label>
        <button type="submit" className="danger">
          Delete my account
        </button>
      </form>
    </section>
  );
}
