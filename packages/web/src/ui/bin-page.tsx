// The bin: what was deleted, where it was, restore or delete for good.
import type { HoardSession, RemoteEntry } from '@hoard/client';
import { useCallback, useEffect, useState } from 'react';
import { ErrorMessage } from './dialog';
import { describeError, formatBytes, formatDate } from './format';

export function BinPage(props: { session: HoardSession }) {
  const { session } = props;
  const [entries, setEntries] = useState<RemoteEntry[]>();
  const [error, setError] = useState<string>();
  const [status, setStatus] = useState<string>();

  const refresh = useCallback(async () => {
    try {
      setEntries((await session.tree.listTrash()).entries);
    } catch (caught) {
      setError(describeError(caught));
    }
  }, [session]);
  useEffect(() => void refresh(), [refresh]);

  async function act(what: string, action: () => Promise<void>) {
    setError(undefined);
    try {
      await action();
      setStatus(what);
    } catch (caught) {
      setError(describeError(caught));
    }
    await refresh();
  }

  return (
    <section className="bin" aria-labelledby="bin-title">
      <h1 id="bin-title">Bin</h1>
      <div className="toolbar">
        <button
          type="button"
          className="danger"
          disabled={!entries?.length}
          onClick={() => {
            if (window.confirm('Delete everything in the bin for good?'))
              void act('The bin is empty.', () => session.tree.emptyTrash());
          }}
        >
          Empty bin
        </button>
      </div>
      <ErrorMessage error={error} />
      <p role="status">{entries === undefined ? 'Loading…' : status}</p>
      {entries?.length === 0 && <p className="empty">The bin is empty.</p>}
      <table className="bin-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Was in</th>
            <th scope="col">Size</th>
            <th scope="col">Deleted</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {entries?.map((entry) => (
            <tr key={entry.id} aria-label={entry.name}>
              <td>{entry.name}</td>
              <td>{entry.path.slice(0, entry.path.length - entry.name.length) || '/'}</td>
              <td>{entry.type === 'folder' ? 'folder' : formatBytes(entry.sizeBytes)}</td>
              <td>{entry.trashedAt ? formatDate(entry.trashedAt) : ''}</td>
              <td className="row-actions">
                <button
                  type="button"
                  aria-label={`Restore ${entry.name}`}
                  onClick={() => void act(`${entry.name} is back.`, () => session.tree.restore(entry))}
                >
                  Restore
                </button>
                <button
                  type="button"
                  className="danger"
                  aria-label={`Delete ${entry.name} for good`}
                  onClick={() =>
                    void act(`${entry.name} is deleted.`, () => session.tree.deleteForever(entry))
                  }
                >
                  Delete for good
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
