// Operator commands of the accounts module.
import { parseArgs } from 'node:util';
import type { AdminCommand } from '../../admin/admin-command.js';
import { forgetStoredOpaqueServerSetup, storedOpaqueServerSetup } from './opaque-server.js';

/**
 * `hoard-server admin opaque-setup [--forget]`: moves the OPAQUE server setup out of the database.
 * Without a flag it prints the stored setup, to be put into HOARD_OPAQUE_SERVER_SETUP; `--forget`
 * then deletes it from the database, and only when HOARD_OPAQUE_SERVER_SETUP holds the same value,
 * so that it can never be lost (every account's login depends on it).
 */
export const opaqueSetupCommand: AdminCommand = {
  name: 'opaque-setup',
  usage: '[--forget]',
  summary: 'print the OPAQUE server setup stored in the database, or delete it once it is in the env',
  async run({ config, db, out }, args) {
    const { values } = parseArgs({ args: [...args], options: { forget: { type: 'boolean' } }, strict: true });
    const stored = await storedOpaqueServerSetup(db);
    if (!values.forget) {
      if (stored === undefined) {
        throw new Error(
          config.opaqueServerSetup === undefined
            ? 'no OPAQUE server setup yet: the server makes one at its first start'
            : 'the database holds no OPAQUE server setup: HOARD_OPAQUE_SERVER_SETUP is the only copy',
        );
      }
      out(stored);
      return;
    }
    if (stored === undefined) {
      out('the database holds no OPAQUE server setup: nothing to forget');
      return;
    }
    if (config.opaqueServerSetup !== stored) {
      throw new Error(
        'refusing to forget: set HOARD_OPAQUE_SERVER_SETUP to the stored setup first (it is the only ' +
          'copy, and every login depends on it)',
      );
    }
    await forgetStoredOpaqueServerSetup(db);
    out('forgot the stored OPAQUE server setup; HOARD_OPAQUE_SERVER_SETUP is now its only copy');
  },
};
