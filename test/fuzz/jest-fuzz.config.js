/**
 * Fuzz tier (`npm test` runs it on SQLite and on PostgreSQL, like the e2e tier): the app's own OpenAPI document
 * drives generated valid, boundary and hostile requests at every operation (test/fuzz/openapi.fuzz-spec.ts).
 * The global setup boots the app once to write that document, so there is one test per operation.
 * FUZZ_SEED repeats a run; FUZZ_RUNS (requests per operation) and FUZZ_BUDGET_MS (wall time) bound it.
 */
module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testRegex: '\\.fuzz-spec\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  globalSetup: '<rootDir>/test/fuzz/openapi-document.setup.ts',
  testTimeout: 60000,
  maxWorkers: 1,
};
