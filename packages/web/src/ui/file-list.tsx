// The folder listing: a grid of rows (one per file or folder, named by it), sortable by name, size
// and date, virtualized (only the rows in view exist in the DOM, so 10,000 entries scroll as
// smoothly as 10), with keyboard navigation (arrows, Home/End, Enter opens, Space selects, Delete
// trashes) and drag of rows onto a folder to move them.
import type { RemoteEntry } from '@hoard/client';
import { useEffect, useLayoutEffect, useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import { formatBytes, formatDate } from './format';

export type SortKey = 'name' | 'size' | 'date';
export interface Sort {
  key: SortKey;
  ascending: boolean;
}

const ROW_HEIGHT = 44;
const OVERSCAN = 8;
export const DRAG_TYPE = 'application/x-hoard-ids';

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export function sortEntries(entries: RemoteEntry[], sort: Sort): RemoteEntry[] {
  const sign = sort.ascending ? 1 : -1;
  const time = (e: RemoteEntry) => e.mtimeMs ?? Date.parse(e.updatedAt);
  return [...entries].sort((a, b) => {
    if (a.type !== b.type) return a.type === 'folder' ? -1 : 1;
    const by =
      sort.key === 'name'
        ? collator.compare(a.name, b.name)
        : sort.key === 'size'
          ? a.sizeBytes - b.sizeBytes
          : time(a) - time(b);
    return sign * (by || collator.compare(a.name, b.name));
  });
}

export function FileList(props: {
  entries: RemoteEntry[];
  selected: ReadonlySet<string>;
  sort: Sort;
  label: string;
  onSort: (key: SortKey) => void;
  onSelect: (id: string, mode: 'only' | 'toggle' | 'range') => void;
  onOpen: (entry: RemoteEntry) => void;
  onDelete: () => void;
  onDropOnFolder: (folder: RemoteEntry, ids: string[]) => void;
}) {
  const { entries } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const [focusIndex, setFocusIndex] = useState(0);
  const [dropTarget, setDropTarget] = useState<string>();
  const focusPending = useRef(false);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setHeight(element.clientHeight));
    observer.observe(element);
    setHeight(element.clientHeight);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    if (focusIndex >= entries.length) setFocusIndex(Math.max(0, entries.length - 1));
  }, [entries.length, focusIndex]);

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(entries.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);

  useEffect(() => {
    if (!focusPending.current) return;
    focusPending.current = false;
    scroller.current?.querySelector<HTMLElement>(`[data-index="${focusIndex}"]`)?.focus();
  });

  function moveFocus(index: number) {
    const clamped = Math.max(0, Math.min(entries.length - 1, index));
    const element = scroller.current;
    if (element) {
      const top = clamped * ROW_HEIGHT;
      if (top < element.scrollTop) element.scrollTop = top;
      else if (top + ROW_HEIGHT > element.scrollTop + element.clientHeight)
        element.scrollTop = top + ROW_HEIGHT - element.clientHeight;
      setScrollTop(element.scrollTop);
    }
    focusPending.current = true;
    setFocusIndex(clamped);
  }

  function onKeyDown(event: KeyboardEvent) {
    const entry = entries[focusIndex];
    const page = Math.max(1, Math.floor(height / ROW_HEIGHT) - 1);
    const keys: Record<string, () => void> = {
      ArrowDown: () => moveFocus(focusIndex + 1),
      ArrowUp: () => moveFocus(focusIndex - 1),
      PageDown: () => moveFocus(focusIndex + page),
      PageUp: () => moveFocus(focusIndex - page),
      Home: () => moveFocus(0),
      End: () => moveFocus(entries.length - 1),
      Enter: () => entry && props.onOpen(entry),
      ' ': () => entry && props.onSelect(entry.id, 'toggle'),
      Delete: () => props.onDelete(),
    };
    const action = keys[event.key];
    if (action && (event.target as HTMLElement).getAttribute('role') === 'row') {
      event.preventDefault();
      action();
    }
  }

  function header(key: SortKey, label: string) {
    const active = props.sort.key === key;
    return (
      <div
        role="columnheader"
        className={`col-${key}`}
        aria-sort={active ? (props.sort.ascending ? 'ascending' : 'descending') : 'none'}
      >
        <button type="button" className="sort" onClick={() => props.onSort(key)}>
          {label}
          <span aria-hidden="true">{active ? (props.sort.ascending ? ' ▲' : ' ▼') : ''}</span>
        </button>
      </div>
    );
  }

  function dragStart(event: DragEvent, entry: RemoteEntry) {
    const ids = props.selected.has(entry.id) ? [...props.selected] : [entry.id];
    event.dataTransfer.setData(DRAG_TYPE, JSON.stringify(ids));
    event.dataTransfer.effectAllowed = 'move';
  }

  function dropOn(event: DragEvent, entry: RemoteEntry) {
    setDropTarget(undefined);
    if (entry.type !== 'folder' || !event.dataTransfer.types.includes(DRAG_TYPE)) return;
    event.preventDefault();
    event.stopPropagation();
    const ids = (JSON.parse(event.dataTransfer.getData(DRAG_TYPE)) as string[]).filter(
      (id) => id !== entry.id,
    );
    if (ids.length > 0) props.onDropOnFolder(entry, ids);
  }

  return (
    <div
      className="file-grid"
      role="grid"
      aria-label={props.label}
      aria-rowcount={entries.length + 1}
      aria-multiselectable="true"
    >
      <div role="row" aria-rowindex={1} className="grid-head">
        <div role="columnheader" className="col-check">
          <span className="visually-hidden">Selected</span>
        </div>
        {header('name', 'Name')}
        {header('size', 'Size')}
        {header('date', 'Modified')}
      </div>
      <div
        className="grid-body"
        ref={scroller}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
        onKeyDown={onKeyDown}
      >
        {entries.length === 0 && (
          <p className="empty">This folder is empty. Drop files here or use Upload files.</p>
        )}
        <div style={{ height: entries.length * ROW_HEIGHT, position: 'relative' }}>
          {entries.slice(first, last).map((entry, offset) => {
            const index = first + offset;
            const selected = props.selected.has(entry.id);
            return (
              <div
                key={entry.id}
                role="row"
                aria-label={entry.name}
                aria-rowindex={index + 2}
                aria-selected={selected}
                data-index={index}
                tabIndex={index === focusIndex ? 0 : -1}
                className={`grid-row${selected ? ' selected' : ''}${dropTarget === entry.id ? ' drop' : ''}`}
                style={{ transform: `translateY(${index * ROW_HEIGHT}px)` }}
                draggable
                onDragStart={(e) => dragStart(e, entry)}
                onDragOver={(e) => {
                  if (entry.type === 'folder' && e.dataTransfer.types.includes(DRAG_TYPE)) {
                    e.preventDefault();
                    setDropTarget(entry.id);
                  }
                }}
                onDragLeave={() => setDropTarget(undefined)}
                onDrop={(e) => dropOn(e, entry)}
                onFocus={() => setFocusIndex(index)}
                onClick={(e) =>
                  props.onSelect(entry.id, e.shiftKey ? 'range' : e.ctrlKey || e.metaKey ? 'toggle' : 'only')
                }
                onDoubleClick={() => props.onOpen(entry)}
              >
                <div role="gridcell" className="col-check">
                  <input
                    type="checkbox"
                    tabIndex={-1}
                    aria-label={`Select ${entry.name}`}
                    checked={selected}
                    onClick={(e) => e.stopPropagation()}
                    onChange={() => props.onSelect(entry.id, 'toggle')}
                  />
                </div>
                <div role="gridcell" className="col-name">
                  {entry.thumbnail ? (
                    <img className="thumb" src={entry.thumbnail} alt="" width="32" height="32" />
                  ) : (
                    <span className={`icon-${entry.type}`} aria-hidden="true" />
                  )}
                  {entry.type === 'folder' ? (
                    <button
                      type="button"
                      className="link"
                      tabIndex={-1}
                      onClick={(e) => {
                        e.stopPropagation();
                        props.onOpen(entry);
                      }}
                    >
                      {entry.name}
                    </button>
                  ) : (
                    <span className="name">{entry.name}</span>
                  )}
                </div>
                <div role="gridcell" className="col-size">
                  {entry.type === 'folder' ? '—' : formatBytes(entry.sizeBytes)}
                </div>
                <div role="gridcell" className="col-date">
                  {formatDate(entry.mtimeMs ?? entry.updatedAt)}
                </div>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
