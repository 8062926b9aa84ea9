/**
 * e2e tier: the real AppModule (or the emulator) over HTTP with supertest, each app on its own fresh database
 * (a temp SQLite file; with TEST_DATABASE=postgres a new database on TEST_POSTGRES_URL, see test/utils/test-database.ts).
 * Files run in parallel workers; each boots its own app and emulator on port 0.
 */
module.exports = {
  rootDir: '..',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testRegex: '\\.e2e-spec\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  testTimeout: 30000,
  maxWorkers: 2,
};
