import { isIP } from 'node:net';

import {
  HostResolver,
  type ResolvedAddress,
  SystemHostResolver,
} from '../../src/common/outbound/host-resolver';

/**
 * A HostResolver for tests: scripted names answer the queued address lists in turn (the last one repeats), so
 * a test can make a name resolve to loopback or change its answer between look-ups (DNS rebinding).
 * `localhost` goes to the system resolver (a real /etc/hosts answer); any other name fails as unknown, so no
 * test waits on a DNS server.
 */
export class ScriptedResolver extends HostResolver {
  readonly calls: string[] = [];
  private readonly answers = new Map<string, string[][]>();
  private readonly system = new SystemHostResolver();

  answer(name: string, ...answers: string[][]): void {
    this.answers.set(name, answers);
  }

  lookupsOf(name: string): number {
    return this.calls.filter((call) => call === name).length;
  }

  resolve(hostname: string): Promise<ResolvedAddress[]> {
    this.calls.push(hostname);
    if (hostname === 'localhost') {
      return this.system.resolve(hostname);
    }
    const queue = this.answers.get(hostname);
    if (queue === undefined) {
      return Promise.reject(
        Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }),
      );
    }
    const next = (queue.length > 1 ? queue.shift() : queue[0]) ?? [];
    return Promise.resolve(next.map((address) => ({ address, family: isIP(address) === 6 ? 6 : 4 })));
  }
}
