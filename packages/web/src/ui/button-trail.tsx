// The breadcrumbs of a folder opened inside a link or a share: the folders above it as buttons
// that go back up the trail. (The file manager's own breadcrumbs are links, since its folders
// have addresses of their own.)
import type { ReactNode } from 'react';

export function ButtonTrail<T extends { id: string; name: string }>(props: {
  trail: readonly T[];
  /** Called with the trail cut after the folder the person went back to. */
  onTrail: (trail: T[]) => void;
  /** List items shown before the trail (e.g. the way back to the list of shares). */
  before?: ReactNode;
}) {
  const { trail } = props;
  return (
    <nav aria-label="Breadcrumbs" className="breadcrumbs">
      <ol>
        {props.before}
        {trail.map((entry, i) => (
          <li key={entry.id}>
            {i === trail.length - 1 ? (
              <span aria-current="page">{entry.name}</span>
            ) : (
              <button type="button" className="link" onClick={() => props.onTrail(trail.slice(0, i + 1))}>
                {entry.name}
              </button>
            )}
          </li>
        ))}
      </ol>
    </nav>
  );
}
