#!/usr/bin/env node
import('../dist/src/cli.js').then((m) => m.runCli(process.argv.slice(2))).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (err) => { console.error(err); process.exit(1); },
);
