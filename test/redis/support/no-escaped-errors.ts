/**
 * Registers, for the calling test file, a guard that collects errors escaping to the process
 * (unhandled rejections, uncaught exceptions) while its tests run, and fails the file in
 * `afterAll` unless there were none: a failure path must never leak a rejection.
 */
export function expectNoEscapedErrors(): void {
  const escaped: unknown[] = [];
  const onEscaped = (error: unknown) => escaped.push(error);

  beforeAll(() => {
    process.on('unhandledRejection', onEscaped);
    process.on('uncaughtException', onEscaped);
  });

  afterAll(() => {
    process.off('unhandledRejection', onEscaped);
    process.off('uncaughtException', onEscaped);
    expect(escaped).toEqual([]);
  });
}
