import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ApiAnswer, ApiRequest } from './built-in-api.ts';

const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'host',
  'http2-settings',
]);

function forwardableHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.startsWith(':') || hopByHop.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * Forwards an accepted request to the upstream URL (path and query appended to its path), with
 * the `X-Amzn-Mtls-*` headers added, as the ALB forwards to its target. Resolves with the answer
 * to relay; rejects when the upstream cannot be reached (the caller answers 502 like the ALB).
 */
export function proxyToUpstream(
  upstream: string,
  request: ApiRequest,
  timeoutMs = 30_000,
): Promise<ApiAnswer> {
  const base = new URL(upstream);
  const incoming = new URL(request.url, 'http://emulator.invalid');
  const target = new URL(base.toString());
  target.pathname = `${base.pathname.replace(/\/$/, '')}${incoming.pathname}`;
  target.search = incoming.search;
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = send(
      target,
      {
        method: request.method,
        headers: {
          ...forwardableHeaders(request.headers),
          ...request.mtls,
          'content-length': String(request.body.length),
        },
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value === undefined || hopByHop.has(name) || name === 'content-length') continue;
            headers[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({ status: response.statusCode ?? 502, headers, body: Buffer.concat(chunks) });
        });
      },
    );
    outgoing.on('timeout', () =>
      outgoing.destroy(new Error(`upstream ${target.host} did not answer in ${timeoutMs} ms`)),
    );
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}
