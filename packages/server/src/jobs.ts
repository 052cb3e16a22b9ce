// Background work, run on an interval by main.ts and callable directly by tests: purge trash older
// than its retention, expire uploads (transfers), delete due blobs through BlobStore.delete, drop
// pending logins, recoveries and sessions that can no longer be used. Every job is idempotent and
// safe to run on several servers at once.
import type { AppDeps } from './app-deps.js';
import { isReadOnly } from './migrate/read-only.js';
import { deleteExpiredPending } from './modules/accounts/accounts-service.js';
import { runPaymentJobs } from './modules/payments/payment-jobs.js';
import { collectBlobGarbage } from './modules/transfers/blob-garbage.js';
import { expireUploads } from './modules/transfers/upload-service.js';
import { purgeTrash } from './modules/tree/tree-service.js';

export type JobDeps = Pick<AppDeps, 'config' | 'db' | 'blobStore' | 'clock'>;

export interface JobReport {
  purgedTrashNodes: number;
  expiredUploads: number;
  collectedBlobs: number;
  /** Plans that lapsed back to the free quota, and invoices that expired. */
  lapsedPlans: number;
  expiredInvoices: number;
}

/** Purges every trashed subtree whose retention is over; returns how many trash tops went. */
export async function purgeExpiredTrash(deps: JobDeps): Promise<number> {
  const now = deps.clock.now();
  const cutoff = now - deps.config.trashRetentionSeconds * 1000;
  let total = 0;
  for (;;) {
    const purged = await purgeTrash(deps.db, cutoff, now);
    total += purged;
    if (purged === 0) return total;
  }
}

/** Runs every job once, in an order where each one's garbage is collected in the same run. */
export async function runJobs(deps: JobDeps): Promise<JobReport> {
  const purgedTrashNodes = await purgeExpiredTrash(deps);
  const expiredUploads = await expireUploads(deps, deps.clock.now());
  await deleteExpiredPending(deps.db, deps.clock.now());
  const collectedBlobs = await collectBlobGarbage(deps, deps.clock.now());
  const { lapsedPlans, expiredInvoices } = await runPaymentJobs(deps);
  return { purgedTrashNodes, expiredUploads, collectedBlobs, lapsedPlans, expiredInvoices };
}

/**
 * Runs the jobs every `intervalMs` (never two runs at once); `stop()` waits for a running one.
 * Failures are reported to `onError` and the next run tries again.
 */
export function startJobs(
  deps: JobDeps,
  intervalMs: number,
  onError: (error: unknown) => void,
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const tick = () => {
    // A migration is copying this one box's data: nothing may change under it.
    if (running || isReadOnly(deps.config.dataDir)) return;
    running = runJobs(deps)
      .then(() => undefined, onError)
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
