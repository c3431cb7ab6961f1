import { BlockList, isIP } from 'node:net';

/**
 * Addresses an interface endpoint can have. Loopback and link-local count as private too: they never
 * leave the host, and local rehearsals (the testkit emulator) answer from 127.0.0.1.
 */
const privateRanges = new BlockList();
privateRanges.addSubnet('10.0.0.0', 8, 'ipv4');
privateRanges.addSubnet('172.16.0.0', 12, 'ipv4');
privateRanges.addSubnet('192.168.0.0', 16, 'ipv4');
privateRanges.addSubnet('100.64.0.0', 10, 'ipv4'); // carrier-grade NAT, used by some VPCs
privateRanges.addSubnet('127.0.0.0', 8, 'ipv4');
privateRanges.addSubnet('169.254.0.0', 16, 'ipv4');
privateRanges.addSubnet('fc00::', 7, 'ipv6');
privateRanges.addSubnet('fe80::', 10, 'ipv6');
privateRanges.addAddress('::1', 'ipv6');

export type AddressScope = 'private' | 'loopback' | 'public';

export function addressScope(address: string): AddressScope {
  const family = isIP(address);
  if (family === 0) throw new TypeError(`not an IP address: ${address}`);
  const mapped = family === 6 && address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : undefined;
  if (mapped !== undefined && isIP(mapped) === 4) return addressScope(mapped);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (address === '::1' || (family === 4 && address.startsWith('127.'))) return 'loopback';
  return privateRanges.check(address, type) ? 'private' : 'public';
}

/** `host:port` with IPv6 addresses bracketed, as people write it. */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Parses `host:port`, `[v6]:port`, or (when a default port is given) a bare host. */
export function parseHostPort(
  text: string,
  defaultPort?: number,
): { host: string; port: number } | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  let host: string | undefined;
  let portText: string | undefined;
  if (bracketed) {
    host = bracketed[1];
    portText = bracketed[2];
  } else if (isIP(text) === 6) {
    host = text;
  } else {
    const colon = text.lastIndexOf(':');
    host = colon === -1 ? text : text.slice(0, colon);
    portText = colon === -1 ? undefined : text.slice(colon + 1);
  }
  if (host === undefined || host === '') return undefined;
  const port = portText === undefined ? defaultPort : Number(portText);
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port };
}

/** One spelling per address (IPv6 compressed, lower case), so DNS and EC2 answers compare equal. */
export function canonicalAddress(address: string): string {
  return isIP(address) === 6 ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address;
}
