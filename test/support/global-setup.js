// One scratch folder per test run: every test (and every CLI or tool it starts) makes its temporary
// files under it, and global-teardown.js removes it, so a run leaves nothing in the system temp
// folder even when a test fails before its own clean-up.
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { ensureBuilt } = require('./build');

module.exports = async function globalSetup() {
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'agentguard-test-run-'));
  process.env.AGENTGUARD_TEST_RUN_DIR = dir;
  // Read by os.tmpdir() in this process, in the workers jest forks after this, and in every child.
  process.env.TMPDIR = dir;
};
