/** A map bounded to `max` entries that forgets the least recently used one first. */
export class LruCache<K, V> {
  // a Map iterates in insertion order: re-inserting on every hit keeps the oldest entry first
  private readonly map = new Map<K, V>();

  constructor(readonly max: number) {}

  /** The value for a key, marking it as recently used. */
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  /** Stores a value, evicting the least recently used entry when full. */
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }

  /** Number of entries held. */
  get size(): number {
    return this.map.size;
  }

  /** Forgets everything. */
  clear(): void {
    this.map.clear();
  }
}
