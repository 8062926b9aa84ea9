/** Fixed-capacity FIFO: memory stays bounded by the capacity however long the emulator runs. */
export class RingBuffer<T> {
  private readonly slots: (T | undefined)[];
  private next = 0;
  private size = 0;
  private pushedTotal = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new RangeError('capacity must be an integer >= 0');
    }
    this.slots = new Array<T | undefined>(capacity);
  }

  push(item: T): void {
    this.pushedTotal++;
    if (this.capacity === 0) {
      return;
    }
    this.slots[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) {
      this.size++;
    }
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    const start = (this.next - this.size + this.capacity) % Math.max(this.capacity, 1);
    for (let i = 0; i < this.size; i++) {
      out.push(this.slots[(start + i) % this.capacity] as T);
    }
    return out;
  }

  get length(): number {
    return this.size;
  }

  /** Everything ever pushed, including what has been overwritten. */
  get total(): number {
    return this.pushedTotal;
  }

  clear(): void {
    this.slots.fill(undefined);
    this.next = 0;
    this.size = 0;
    this.pushedTotal = 0;
  }
}
