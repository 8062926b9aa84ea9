import { lookup } from 'node:dns/promises';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * Turns a host name into addresses: the only DNS access of outbound calls. Tests provide their own (a name
 * that resolves to loopback, an answer that changes between look-ups) through `AppModuleOptions.hostResolver`.
 */
export abstract class HostResolver {
  abstract resolve(hostname: string): Promise<ResolvedAddress[]>;
}

/** The operating system's resolver (getaddrinfo: /etc/hosts, then DNS), every address it knows. */
export class SystemHostResolver extends HostResolver {
  async resolve(hostname: string): Promise<ResolvedAddress[]> {
    const answers = await lookup(hostname, { all: true, verbatim: true });
    return answers.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
  }
}
