/**
 * Start tier: the README's commands (`npm start`, `npm run start:dev`, `npm run build` + `npm run start:prod`,
 * `npm run cli`, `npm run migration:*`, `npm run demo`) in a fresh clone of HEAD (test/start/fresh-clone.ts).
 * One file, one worker: the commands run one after the other in the same clone.
 */
module.exports = {
  rootDir: '..',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/start'],
  testRegex: '\\.start-spec\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  maxWorkers: 1,
};
