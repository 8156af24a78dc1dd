/**
 * Replacing one of kafkajs's CommonJS modules before kafkajs loads it: how
 * airq's fixes and fast paths (./read_committed.ts, ./crc32c.ts,
 * ./record_batch.ts, ./send_messages.ts, ./fetch_manager.ts) take the place of kafkajs 2.2.4's
 * own code. Each is imported by ./client.ts before kafkajs itself.
 *
 * @module
 */
import Module, { createRequire } from "node:module";

/** A module of kafkajs, by its path inside the package (e.g. `./src/consumer/batch.js`). */
export interface KafkajsModules {
  /** Loads a module of kafkajs (as kafkajs's own `require` would) and returns its exports. */
  load(path: string): unknown;
  /** Whether the module was loaded already (by kafkajs or by us). */
  loaded(path: string): boolean;
  /**
   * Sets a loaded module's exports (what every later `require` of it gets);
   * false when it is not in the cache.
   */
  replace(path: string, exports: unknown): boolean;
  /**
   * Puts `exports` in the place of the module at `path`, unless `user` (the
   * kafkajs module that takes it with `require` when it loads) has loaded
   * already and holds the old one: true when replaced.
   */
  replaceBefore(user: string, path: string, exports: unknown): boolean;
}

/** kafkajs's modules, as resolved from airq's import of it. */
export function kafkajsModules(): KafkajsModules {
  const fromHere = createRequire(import.meta.url);
  const fromKafkajs = createRequire(fromHere.resolve("kafkajs"));
  const cache = (Module as unknown as { _cache: Record<string, { exports: unknown }> })._cache;
  const modules: KafkajsModules = {
    load: (path) => fromKafkajs(fromKafkajs.resolve(path)),
    loaded: (path) => cache[fromKafkajs.resolve(path)] !== undefined,
    replace: (path, exports) => {
      const entry = cache[fromKafkajs.resolve(path)];
      if (entry === undefined) return false;
      entry.exports = exports;
      return true;
    },
    replaceBefore: (user, path, exports) => {
      if (modules.loaded(user)) return false;
      modules.load(path); // into the cache, where `replace` finds it
      return modules.replace(path, exports);
    },
  };
  return modules;
}
