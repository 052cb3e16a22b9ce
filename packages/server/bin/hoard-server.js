#!/usr/bin/env -S node --max-semi-space-size=32
// The installed `hoard-server` command. A committed shim, so that `npm ci` can link it before the
// `prepare` build has produced dist/ (npm skips a bin whose file does not exist yet).
//
// Why the flag: every transfer moves its bytes through short-lived buffers (socket reads, file
// reads, part batches). With V8's default young generation (16 MiB semi-spaces) enough of them
// outlive two scavenges that their memory is freed only by full collections: after an upload, the
// server ran 60-90 mark-compacts per GiB sent and spent 4-5 s of CPU per GiB instead of under one.
// With 32 MiB they die young: no full collection during a transfer, and a lower peak RSS too.
// The flag has to be given at start (V8 sizes the heap then); the test support reads it from here.
import '../dist/main.js';
