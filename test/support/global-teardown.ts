// Removes the run's scratch folder made by global-setup.ts.
import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const dir = process.env.AGENTGUARD_TEST_RUN_DIR;
  if (dir) rmSync(dir, { recursive: true, force: true });
}
