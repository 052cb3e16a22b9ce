// Starts the local Esplora fixture as its own process (for tests of other packages, which may not
// import the server): prints its URL on the first line of stdout, stops on SIGTERM. Test-only.
import { EsploraServer } from './esplora-server.js';

const server = new EsploraServer();
const url = await server.start();
process.stdout.write(`${url}\n`);
process.on('SIGTERM', () => {
  void server.stop().then(() => process.exit(0));
});
