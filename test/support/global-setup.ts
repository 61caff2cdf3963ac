// One scratch folder per test run: every test (and every CLI or tool it starts) makes its temporary
// files under it, and global-teardown.ts removes it, so a run leaves nothing in the system temp
// folder even when a test fails before its own clean-up.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// build.js is plain CommonJS: `npm test` runs it too, before jest starts.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureBuilt } = require('./build') as { ensureBuilt: () => void };

export default async function globalSetup(): Promise<void> {
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'agentguard-test-run-'));
  process.env.AGENTGUARD_TEST_RUN_DIR = dir;
  // Read by os.tmpdir() in this process, in the workers jest forks after this, and in every child.
  process.env.TMPDIR = dir;
}
