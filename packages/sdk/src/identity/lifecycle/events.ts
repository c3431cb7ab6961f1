/**
 * A minimal typed emitter: `on` returns its own unsubscribe, so there is no listener bookkeeping to
 * leak, and a throwing listener cannot break the caller (a faulty logger must not stop a refresh).
 */
export class TypedEmitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<(event: never) => void>>();

  on<E extends keyof Events>(event: E, listener: (event: Events[E]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    const entry = listener as (event: never) => void;
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        (listener as (event: Events[E]) => void)(payload);
      } catch {
        // Listener errors are the listener's business; see the class comment.
      }
    }
  }
}
