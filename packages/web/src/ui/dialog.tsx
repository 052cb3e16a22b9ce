// A modal dialog on the native <dialog> element: focus moves into it and is trapped there, Escape
// closes it, and focus returns to what opened it.
import { useEffect, useRef, type ReactNode } from 'react';

export function Dialog(props: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const { onClose } = props;
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement as HTMLElement | null;
    dialog.showModal();
    // A close queued by an earlier cleanup (React may mount twice) arrives while open again: ignore.
    const close = () => {
      if (!dialog.open) onClose();
    };
    dialog.addEventListener('close', close);
    return () => {
      dialog.removeEventListener('close', close);
      if (dialog.open) dialog.close();
      opener?.focus();
    };
  }, [onClose]);
  return (
    <dialog ref={ref} className={props.wide ? 'dialog wide' : 'dialog'} aria-label={props.title}>
      <div className="dialog-head">
        <h2>{props.title}</h2>
        <button type="button" className="icon" aria-label="Close" onClick={() => ref.current?.close()}>
          ×
        </button>
      </div>
      {props.children}
    </dialog>
  );
}

export function ErrorMessage(props: { error: string | undefined }) {
  if (!props.error) return null;
  return (
    <p role="alert" className="error">
      {props.error}
    </p>
  );
}
