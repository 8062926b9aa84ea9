/** Unit tier: specs colocated with the code under src/ (and scripts/, the chaos suite's accounting). SWC transpiles (type checking is `npm run typecheck`). */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/scripts'],
  testRegex: '\\.spec\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
};
