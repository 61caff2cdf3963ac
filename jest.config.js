/** @type {import('jest').Config} */
module.exports = {
  // The node environment, measuring each file's CPU time when AGENTGUARD_TEST_CPU_FILE is set.
  testEnvironment: '<rootDir>/test/support/cpu-environment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Transpile only (tsconfig.jest.json sets isolatedModules): `npm run typecheck` type-checks in CI.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  // jest's default on 2 cores is one worker; the control-plane and tool files mostly wait on other
  // processes, so two workers keep both cores busy.
  maxWorkers: 2,
  // The installer and end-to-end tests spawn real binaries; allow them time.
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  // Temporary files of a run live in one folder that is removed at its end.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};
