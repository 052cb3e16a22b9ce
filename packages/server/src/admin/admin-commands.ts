// Every `hoard-server admin` command. A module adds its commands here, from its own folder.
import { opaqueSetupCommand } from '../modules/accounts/admin-commands.js';
import { grantCommand, invoicesCommand } from '../modules/payments/admin-commands.js';
import { sharingAdminCommands } from '../modules/sharing/admin-commands.js';
import type { AdminCommand } from './admin-command.js';
import { usersCommand } from './user-commands.js';

export const adminCommands: readonly AdminCommand[] = [
  usersCommand,
  opaqueSetupCommand,
  ...sharingAdminCommands,
  invoicesCommand,
  grantCommand,
];
