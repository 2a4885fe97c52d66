/**
 * What `make` gave for each key, made once: for names and label sets every scrape asks for
 * again. Keys come from outside (kernel counter names, interface names, plugins' families), so
 * past `max` keys it starts over rather than grow without end.
 */
export class BoundedMemo<K, V> {
  private readonly known = new Map<K, V>();

  constructor(
    private readonly max: number,
    private readonly make: (key: K) => V,
  ) {}

  get(key: K): V {
    let v = this.known.get(key);
    if (v === undefined) {
      if (this.known.size >= this.max) this.known.clear();
      this.known.set(key, (v = this.make(key)));
    }
    return v;
  }
}
