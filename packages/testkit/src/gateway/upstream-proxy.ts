import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { type ApiAnswer, type ApiRequest, albErrorAnswer } from './built-in-api.ts';

const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
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
 * the client's Host and the `X-Amzn-Mtls-*` headers, as the ALB forwards to its target. Resolves
 * with the answer to relay, or the ALB's 504 page when the upstream stays silent for `timeoutMs`
 * (connecting included); rejects when the upstream cannot be reached (the caller answers 502).
 */
export function proxyToUpstream(
  upstream: string,
  request: ApiRequest,
  timeoutMs: number,
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
        // Node would derive SNI from the forwarded Host; the upstream is reached by its own name.
        ...(target.protocol === 'https:' && isIP(target.hostname) === 0
          ? { servername: target.hostname }
          : {}),
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
    let timedOut = false;
    outgoing.on('timeout', () => {
      timedOut = true;
      outgoing.destroy();
      resolve(albErrorAnswer(504));
    });
    outgoing.on('error', (error) => {
      if (!timedOut) reject(error);
    });
    outgoing.end(request.body);
  });
}
