/**
 * Vendor reads shared by the steps of ONE item attempt, e.g. the company's role list read once for all its
 * user steps. Create one per attempt and drop it afterwards: a new attempt (after a crash, a retry or a lost
 * lease) must read the vendor again, so nothing here is ever trusted across attempts.
 */
export class StepReadCache {
  private readonly entries = new Map<string, Promise<unknown>>();

  /** The cached read of `key`, or `read()` started now and remembered (forgotten again if it fails). */
  get<T>(key: string, read: () => Promise<T>): Promise<T> {
    const known = this.entries.get(key);
    if (known !== undefined) {
      return known as Promise<T>;
    }
    const started = read().catch((error: unknown) => {
      this.entries.delete(key);
      throw error;
    });
    this.entries.set(key, started);
    return started;
  }

  clear(): void {
    this.entries.clear();
  }
}
