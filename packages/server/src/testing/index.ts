// @hoard/server/testing: the server's test support that other packages' tests use (the CLI's
// end-to-end tests run the real server as a child process, on SQLite or a throwaway PostgreSQL
// database; they and the browser tests pay on the local Esplora fixture's chain). Only test files
// and test helpers may import it (tests/architecture.test.ts); the CLI itself never depends on
// the server.
export { EsploraServer } from '../modules/payments/test-fixtures/esplora-server.js';
export { createPostgresDatabase, type PostgresTestDatabase } from './postgres-database.js';
export {
  buildServer,
  freePort,
  serverMain,
  spawnServer,
  type SpawnedServer,
  type SpawnServerOptions,
} from './spawn-server.js';
