#!/usr/bin/env node
// The installed `hoard-server` command. A committed shim, so that `npm ci` can link it before the
// `prepare` build has produced dist/ (npm skips a bin whose file does not exist yet).
import '../dist/main.js';
