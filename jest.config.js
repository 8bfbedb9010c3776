/** Jest runs TypeScript through SWC (decorators and their metadata on); type-checking is `tsc --noEmit`. */
const swcTransform = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

/** What every suite shares: how TypeScript is compiled and how `ws-rooms` resolves to the sources. */
const base = {
  testEnvironment: 'node',
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/test/compat-'],
  transform: { '^.+\\.(t|j)sx?$': swcTransform },
  transformIgnorePatterns: ['/node_modules/(?!@nestjs/)'],
  moduleNameMapper: {
    '^ws-rooms$': '<rootDir>/libs/ws-rooms/src/index.ts',
    '^ws-rooms/client$': '<rootDir>/libs/ws-rooms/src/client/index.ts',
    '^ws-rooms/testing$': '<rootDir>/libs/ws-rooms/src/testing/index.ts',
    '^ws-rooms/internal$': '<rootDir>/libs/ws-rooms/src/internal.ts',
  },
};

/** Suites that drive Chromium (`test/**` files named `*.browser.e2e-spec.ts`). */
const BROWSER_SUITES = '\\.browser\\.e2e-spec\\.ts$';

/**
 * One Jest project per kind of suite, each run alone with `--selectProjects <name>` (see the `test:*`
 * scripts of package.json and CONTRIBUTING.md). Every spec file belongs to exactly one project.
 */
module.exports = {
  projects: [
    {
      ...base,
      displayName: 'unit',
      roots: ['<rootDir>/libs', '<rootDir>/src'],
      testMatch: ['**/*.spec.ts'],
    },
    {
      ...base,
      displayName: 'e2e',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.e2e-spec.ts', '**/*.spec.ts'],
      testPathIgnorePatterns: [
        ...base.testPathIgnorePatterns,
        BROWSER_SUITES,
        '/test/redis/',
        '/test/docs/',
      ],
    },
    {
      ...base,
      displayName: 'browser',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.browser.e2e-spec.ts'],
    },
    {
      ...base,
      displayName: 'redis',
      roots: ['<rootDir>/test/redis'],
      testMatch: ['**/*.e2e-spec.ts', '**/*.spec.ts'],
      testPathIgnorePatterns: [...base.testPathIgnorePatterns, BROWSER_SUITES],
    },
    {
      ...base,
      displayName: 'docs',
      roots: ['<rootDir>/test/docs'],
      testMatch: ['**/*.e2e-spec.ts'],
    },
  ],
  testTimeout: 20000,
  maxWorkers: 2,
};
