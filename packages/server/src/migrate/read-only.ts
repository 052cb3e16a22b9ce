// Read-only mode of a one-box data directory while `hoard-server migrate` copies it to a fleet: the
// migration puts a marker file in the data directory; a running server then refuses every request
// that would change something (503 UNAVAILABLE, Retry-After) and its background jobs pause, so the
// copy sees a still source. Reads keep working. The marker goes when the migration ends.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';

/** The marker's name inside the data directory. */
export const READ_ONLY_MARKER = 'MIGRATING-READ-ONLY';

/** Whether the data directory is read-only (a migration is copying it). */
export function isReadOnly(dataDir: string): boolean {
  return existsSync(join(dataDir, READ_ONLY_MARKER));
}

/** Refuses changes while the data directory is read-only. Registered by createApp. */
export function addReadOnlyGuard(app: FastifyInstance, dataDir: string): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const method = request.method;
    // Logging in writes a session, which the copy may miss: refused too, like every change.
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || !isReadOnly(dataDir)) {
      done();
      return;
    }
    done(
      new AppError(
        'UNAVAILABLE',
        'this server is read-only while its data moves to a fleet; try again later',
        {
          retryAfterSeconds: 60,
        },
      ),
    );
  });
}
