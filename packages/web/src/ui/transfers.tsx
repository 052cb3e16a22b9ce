// The uploads panel: each file with its progress, speed and time left; pause, resume and cancel;
// the total on top; and the uploads a reload interrupted: resumed from the file's handle where the
// browser gave one, else with what to pick again.
import { useState, useSyncExternalStore } from 'react';
import type { PendingUpload } from '../shared/idb-resume-store';
import type { LocateFolder, UploadManager } from '../upload-manager';
import { describeError, formatBytes, formatDuration } from './format';

function placeOf(p: PendingUpload): string {
  return p.shareId === undefined ? p.folderPath : `${p.folderPath.replace(/^\//, '')} (shared with you)`;
}

export function Transfers(props: { uploads: UploadManager; locate: LocateFolder }) {
  const { uploads } = props;
  const [resumeError, setResumeError] = useState<string>();
  const jobs = useSyncExternalStore(uploads.subscribe, uploads.jobs);
  const pending = useSyncExternalStore(uploads.subscribe, uploads.pending);
  if (jobs.length === 0 && pending.length === 0) return null;
  const active = jobs.filter((j) => j.state !== 'cancelled');
  const total = active.reduce((sum, j) => sum + j.totalBytes, 0);
  const done = active.reduce((sum, j) => sum + j.doneBytes, 0);
  const speed = active.reduce((sum, j) => sum + (j.state === 'running' ? j.speedBps : 0), 0);
  const finished = jobs.every((j) => j.state === 'done' || j.state === 'cancelled');
  return (
    <section className="transfers" aria-label="Uploads">
      {jobs.length > 0 && (
        <div className="transfers-head">
          <h2>Uploads</h2>
          <progress aria-label="All uploads" max={Math.max(total, 1)} value={done} />
          <span>
            {formatBytes(done)} of {formatBytes(total)}
            {speed > 0 && ` · ${formatBytes(speed)}/s · ${formatDuration((total - done) / speed)} left`}
          </span>
          {finished && (
            <button type="button" onClick={() => uploads.clearFinished()}>
              Clear
            </button>
          )}
        </div>
      )}
      <ul>
        {jobs.map((job) => (
          <li key={job.id} aria-label={`Upload of ${job.name}`} className={`job ${job.state}`}>
            <span className="job-name">{job.name}</span>
            <progress
              aria-label={`Progress of ${job.name}`}
              max={Math.max(job.totalBytes, 1)}
              value={job.doneBytes}
            />
            <span className="job-status" role="status">
              {job.state === 'done'
                ? 'Done'
                : job.state === 'error'
                  ? `Failed: ${job.error ?? ''}`
                  : job.state === 'paused'
                    ? 'Paused'
                    : job.state === 'cancelled'
                      ? 'Cancelled'
                      : job.state === 'queued'
                        ? 'Waiting'
                        : `${Math.floor((100 * job.doneBytes) / Math.max(job.totalBytes, 1))}%${
                            job.speedBps > 0
                              ? ` · ${formatBytes(job.speedBps)}/s · ${formatDuration((job.totalBytes - job.doneBytes) / job.speedBps)} left`
                              : ''
                          }`}
              {job.resumedParts !== undefined &&
                job.resumedParts > 0 &&
                ` · resumed (${job.resumedParts} of ${job.partCount} parts were already uploaded)`}
            </span>
            {job.state === 'running' && (
              <button type="button" onClick={() => uploads.pause(job.id)} aria-label={`Pause ${job.name}`}>
                Pause
              </button>
            )}
            {(job.state === 'paused' || job.state === 'error') && (
              <button type="button" onClick={() => uploads.resume(job.id)} aria-label={`Resume ${job.name}`}>
                Resume
              </button>
            )}
            {job.state !== 'done' && job.state !== 'cancelled' && (
              <button type="button" onClick={() => uploads.cancel(job.id)} aria-label={`Cancel ${job.name}`}>
                Cancel
              </button>
            )}
          </li>
        ))}
      </ul>
      {pending.length > 0 && (
        <div className="pending">
          <h3>Unfinished uploads</h3>
          {pending.some((p) => !p.handle) && (
            <p>Pick these files again into the same folder to continue where they stopped:</p>
          )}
          {resumeError && (
            <p role="alert" className="error">
              {resumeError}
            </p>
          )}
          <ul>
            {pending.map((p) => (
              <li key={p.resumeKey} aria-label={`Unfinished upload of ${p.name}`}>
                {p.name} ({formatBytes(p.sizeBytes)}) in {placeOf(p)}{' '}
                {p.handle && (
                  <button
                    type="button"
                    aria-label={`Resume ${p.name}`}
                    onClick={() => {
                      setResumeError(undefined);
                      uploads
                        .resumePending(p.resumeKey, props.locate)
                        .catch((caught: unknown) => setResumeError(describeError(caught)));
                    }}
                  >
                    Resume
                  </button>
                )}{' '}
                <button type="button" onClick={() => void uploads.discardPending(p.resumeKey)}>
                  Discard
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
