#!/usr/bin/env node
// The `agentguard` command: runs the compiled CLI in build/ (`npm run build`; `npm ci`, `npm test`
// and `npm pack` build it first).
'use strict';
let cli;
try {
  cli = require('../build/cli/main.js');
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes('build/cli/main.js')) {
    process.stderr.write('agentguard: build/ is missing; run `npm run build` in the agentguard folder\n');
    process.exit(2);
  }
  throw error;
}
cli.run(process.argv);
