import { ProbeError } from '../errors.ts';
import { formatHostPort } from '../net/address.ts';

const curlForm = /^(\[[^\]]*\]|[^:[\]]*):(\d*):(\[[^\]]+\]|[^:[\]]+):(\d+)$/;
const unbracket = (host: string) => (host.startsWith('[') ? host.slice(1, -1) : host);

/**
 * The engine's HOST:PORT dial target from --connect-to, which takes that form or curl's
 * HOST1:PORT1:HOST2:PORT2. As in curl, the four-part form applies only when the URL's host and port
 * are HOST1 and PORT1 (an empty one matches any); otherwise the URL's own host is dialled.
 */
export function dialTargetOf(
  connectTo: string | undefined,
  url: { host: string; port: number },
): string | undefined {
  if (connectTo === undefined) return undefined;
  const match = curlForm.exec(connectTo);
  if (match === null) return connectTo;
  const [, fromHost = '', fromPort = '', toHost = '', toPort = ''] = match;
  const hostMatches = fromHost === '' || unbracket(fromHost).toLowerCase() === url.host.toLowerCase();
  const portMatches = fromPort === '' || Number(fromPort) === url.port;
  if (!hostMatches || !portMatches) return undefined;
  if (toHost === '' || toPort === '') {
    throw new ProbeError(
      'CONFIG_INVALID',
      `--connect-to: expected HOST1:PORT1:HOST2:PORT2, got ${JSON.stringify(connectTo)}`,
    );
  }
  return formatHostPort(unbracket(toHost), Number(toPort));
}
