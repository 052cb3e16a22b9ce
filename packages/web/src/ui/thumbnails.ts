// Thumbnails made in the browser before an upload: a frame of an image or a video drawn at most
// 160 px, as a WebP data: URL. They are stored in the version's encrypted attributes, so the
// server never sees them and a listing shows them without another request.

const MAX_SIDE = 160;
/** The attribute's limit is 12,000 characters (see VersionAttributes.thumbnail). */
const MAX_CHARS = 11_500;

function draw(source: CanvasImageSource, width: number, height: number): string | undefined {
  for (const [side, quality] of [
    [MAX_SIDE, 0.7],
    [120, 0.5],
    [80, 0.4],
  ] as const) {
    const scale = Math.min(1, side / Math.max(width, height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    canvas.getContext('2d')!.drawImage(source, 0, 0, canvas.width, canvas.height);
    let url = canvas.toDataURL('image/webp', quality);
    if (!url.startsWith('data:image/webp')) url = canvas.toDataURL('image/jpeg', quality);
    if (url.length <= MAX_CHARS) return url;
  }
  return undefined;
}

async function videoFrame(file: File): Promise<string | undefined> {
  const url = URL.createObjectURL(file);
  const video = document.createElement('video');
  video.muted = true;
  video.preload = 'auto';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timeout')), 10_000);
      video.addEventListener('loadedmetadata', () => {
        video.currentTime = Math.min(1, video.duration / 10);
      });
      video.addEventListener('seeked', () => {
        clearTimeout(timer);
        resolve();
      });
      video.addEventListener('error', () => reject(new Error('not playable')));
      video.src = url;
    });
    return draw(video, video.videoWidth, video.videoHeight);
  } finally {
    video.removeAttribute('src');
    URL.revokeObjectURL(url);
  }
}

/** A thumbnail of an image or video file, or undefined (other types, undecodable, too big). */
export async function makeThumbnail(file: File): Promise<string | undefined> {
  try {
    if (file.type.startsWith('image/') && file.type !== 'image/svg+xml' && file.size < 64 * 1024 * 1024) {
      const bitmap = await createImageBitmap(file);
      try {
        return draw(bitmap, bitmap.width, bitmap.height);
      } finally {
        bitmap.close();
      }
    }
    if (file.type.startsWith('video/')) return await videoFrame(file);
  } catch {
    // not decodable here: no thumbnail, the upload goes on
  }
  return undefined;
}
