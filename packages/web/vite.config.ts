// The web app's build: the page (index.html), its workers (hashed, under assets/) and the service
// worker, which must keep a fixed name at the root (/sw.js) so that its scope is the whole origin
// and an update is found on the next load. No inline script anywhere (the CSP forbids it), no
// modulepreload polyfill (it would be inline), no source maps served.
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  base: '/',
  // The workspace packages build from their TypeScript sources: never a stale dist/.
  resolve: { conditions: ['source', ...defaultClientConditions] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    // OPAQUE's WebAssembly (with Argon2id) is one 600 kB chunk; it is loaded once and cached for good.
    chunkSizeWarningLimit: 1024,
    rolldownOptions: {
      input: { index: 'index.html', sw: 'src/workers/sw.ts' },
      output: {
        entryFileNames: (chunk) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js'),
      },
    },
  },
  worker: { format: 'es' },
});
