#!/usr/bin/env node
// The `agentguard` command. The sources are TypeScript; tsx's CommonJS loader compiles them on the
// fly (cached on disk), so the package needs no build step before its bin runs.
'use strict';
require('tsx/cjs');
require('../cli/main.ts').run(process.argv);
