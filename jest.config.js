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

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/test', '<rootDir>/src'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/test/compat-'],
  transform: { '^.+\\.(t|j)sx?$': swcTransform },
  transformIgnorePatterns: ['/node_modules/(?!@nestjs/)'],
  moduleNameMapper: {
    '^ws-rooms$': '<rootDir>/libs/ws-rooms/src/index.ts',
    '^ws-rooms/client$': '<rootDir>/libs/ws-rooms/src/client/index.ts',
  },
  testTimeout: 20000,
  maxWorkers: 2,
};
