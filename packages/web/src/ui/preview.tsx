// Previews in place: images, video and audio (streamed and seekable through the service worker),
// PDFs and text. The decrypted bytes come from /sw/file/... URLs; nothing is held whole in memory
// except the first 256 KiB of a text file.
import { useEffect, useState } from 'react';
import { Dialog } from './dialog';

export type PreviewKind = 'image' | 'video' | 'audio' | 'pdf' | 'text';

const byExtension: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  webm: 'video/webm',
  mov: 'video/quicktime',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  ogg: 'audio/ogg',
  opus: 'audio/ogg',
  wav: 'audio/wav',
  flac: 'audio/flac',
  pdf: 'application/pdf',
  txt: 'text/plain',
  md: 'text/plain',
  csv: 'text/plain',
  json: 'text/plain',
  log: 'text/plain',
};

export function mimeOf(name: string, declared?: string): string {
  if (declared) return declared;
  return byExtension[name.split('.').pop()?.toLowerCase() ?? ''] ?? 'application/octet-stream';
}

export function previewKind(mime: string): PreviewKind | undefined {
  if (mime.startsWith('image/') && mime !== 'image/svg+xml') return 'image';
  if (mime.startsWith('video/')) return 'video';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime === 'application/pdf') return 'pdf';
  if (mime.startsWith('text/') || mime === 'application/json') return 'text';
  return undefined;
}

const TEXT_PREVIEW_BYTES = 256 * 1024;

export function Preview(props: {
  name: string;
  url: string;
  kind: PreviewKind;
  onClose: () => void;
  onDownload: () => void;
}) {
  const [text, setText] = useState<string>();
  useEffect(() => {
    if (props.kind !== 'text') return;
    const controller = new AbortController();
    fetch(props.url, { headers: { range: `bytes=0-${TEXT_PREVIEW_BYTES - 1}` }, signal: controller.signal })
      .then((r) => r.text())
      .then(setText, () => undefined);
    return () => controller.abort();
  }, [props.url, props.kind]);
  return (
    <Dialog title={props.name} onClose={props.onClose} wide>
      <div className="preview">
        {props.kind === 'image' && <img src={props.url} alt={props.name} />}
        {props.kind === 'video' && <video src={props.url} controls autoPlay aria-label={props.name} />}
        {props.kind === 'audio' && <audio src={props.url} controls autoPlay aria-label={props.name} />}
        {props.kind === 'pdf' && <iframe src={props.url} title={props.name} />}
        {props.kind === 'text' && <pre aria-label={`Text of ${props.name}`}>{text ?? 'Loading…'}</pre>}
      </div>
      <div className="row-actions">
        <button type="button" onClick={props.onDownload}>
          Download
        </button>
      </div>
    </Dialog>
  );
}
