import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';

/**
 * The source address this host uses to reach `address`, found by connecting a UDP socket (which
 * sends nothing, only asks the kernel for a route). Undefined when there is no route.
 */
export function localAddressFor(address: string, timeoutMs = 1000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
    const done = (value: string | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(value);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('error', () => done(undefined));
    socket.connect(443, address, () => {
      try {
        done(socket.address().address);
      } catch {
        done(undefined);
      }
    });
  });
}
