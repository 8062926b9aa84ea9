import { Socket } from 'node:net';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+|localhost)$/i;

/**
 * Refuses, in this process (the app and the emulator run in it), every TCP connection that is not to
 * loopback, and records the attempt: the fuzzer's bodies are rewritten to a loopback sink, and this proves
 * nothing slipped through (alert deliveries, vendor calls, anything). Returns the attempts and an undo.
 */
export function guardLoopbackOnly(): { attempts: string[]; restore: () => void } {
  const attempts: string[] = [];
  const original = Socket.prototype.connect;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- connect has many overloads; the guard only reads the target.
  Socket.prototype.connect = function guarded(this: Socket, ...args: any[]): Socket {
    const [first, second] = args as [unknown, unknown];
    const options =
      typeof first === 'object' && first !== null ? (first as { host?: string; path?: string }) : {};
    const host = typeof first === 'object' ? options.host : typeof second === 'string' ? second : undefined;
    const isPipe = typeof first === 'string' || options.path !== undefined;
    if (!isPipe && host !== undefined && !LOOPBACK.test(host) && host.length > 0) {
      attempts.push(host);
      throw new Error(`fuzz tier: refused a connection off loopback (${host})`);
    }
    return original.apply(this, args as Parameters<typeof original>);
  } as typeof original;
  return {
    attempts,
    restore: () => {
      Socket.prototype.connect = original;
    },
  };
}
