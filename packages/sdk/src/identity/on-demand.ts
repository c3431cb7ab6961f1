/**
 * Modules the SDK loads on first use (pkijs-based readers: about 30–45 ms of start-up CPU that most
 * identities never need). `load()` imports them asynchronously, which is what a bundle needs;
 * `get()` hands them over, loading them synchronously when nothing loaded them yet (Node's `require`
 * of an ES module, which shares the module cache with `import`).
 */
export interface OnDemand<T> {
  load(): Promise<void>;
  get(): T;
}

export function onDemand<T>(load: () => Promise<T>, loadSync: () => T): OnDemand<T> {
  let loaded: T | undefined;
  return {
    async load() {
      if (loaded !== undefined) return;
      const modules = await load();
      loaded ??= modules;
    },
    get: () => {
      loaded ??= loadSync();
      return loaded;
    },
  };
}
