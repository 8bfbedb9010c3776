/** A logger for the store that keeps what it was told, so tests can count log lines. */
export class CapturingLogger {
  readonly lines: { level: 'log' | 'warn' | 'error'; message: string }[] = [];

  log(message: unknown): void {
    this.lines.push({ level: 'log', message: String(message) });
  }

  warn(message: unknown): void {
    this.lines.push({ level: 'warn', message: String(message) });
  }

  error(message: unknown): void {
    this.lines.push({ level: 'error', message: String(message) });
  }

  count(level: 'log' | 'warn' | 'error'): number {
    return this.lines.filter((line) => line.level === level).length;
  }
}
