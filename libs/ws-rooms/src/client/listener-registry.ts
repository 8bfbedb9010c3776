/** Removes the listener it was returned for; calling it again does nothing. */
export type Unsubscribe = () => void;

interface Registration<Args extends unknown[]> {
  readonly listener: (...args: Args) => void;
}

/**
 * An ordered list of listeners for one kind of notification. Each listener is called in its own
 * `try`, so one that throws cannot keep the others from running; the error goes to the caller's
 * `onThrow`. Dispatch works on a snapshot: listeners added or removed by a listener take effect from
 * the next dispatch (as with Node's `EventEmitter`).
 */
export class ListenerRegistry<Args extends unknown[]> {
  private registrations: Registration<Args>[] = [];

  /** The number of registered listeners. */
  get size(): number {
    return this.registrations.length;
  }

  /** Registers a listener; the same function may be registered twice and is then called twice. */
  add(listener: (...args: Args) => void): Unsubscribe {
    // Each registration is its own object, so the returned function removes exactly this one.
    const registration: Registration<Args> = { listener };
    this.registrations = [...this.registrations, registration];
    return () => {
      this.registrations = this.registrations.filter((entry) => entry !== registration);
    };
  }

  /** Removes every registration of `listener`; returns whether there was one. */
  remove(listener: (...args: Args) => void): boolean {
    const before = this.registrations.length;
    this.registrations = this.registrations.filter((entry) => entry.listener !== listener);
    return this.registrations.length !== before;
  }

  /** Removes every listener. */
  clear(): void {
    this.registrations = [];
  }

  /** Calls every listener in registration order; a listener's exception goes to `onThrow`. */
  emit(onThrow: (error: unknown) => void, ...args: Args): void {
    for (const { listener } of this.registrations) {
      try {
        listener(...args);
      } catch (error) {
        onThrow(error);
      }
    }
  }
}
