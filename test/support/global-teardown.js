// Removes the run's scratch folder made by global-setup.js.
const { rmSync } = require('node:fs');

module.exports = async function globalTeardown() {
  const dir = process.env.AGENTGUARD_TEST_RUN_DIR;
  if (dir) rmSync(dir, { recursive: true, force: true });
};
