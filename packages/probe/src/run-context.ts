import { isIP } from 'node:net';
import type { ProbeContext, ProbeInputs } from './context.ts';
import { ProbeError } from './errors.ts';
import { parseHostPort } from './net/address.ts';
import { PROBE_DEFAULTS, type ProbeOptions, regionOf } from './options.ts';

/** The URL pieces a probe needs, validated. */
export function parseTarget(url: string, servername?: string) {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ProbeError('CONFIG_INVALID', `<url>: not a URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'https:') {
    throw new ProbeError('CONFIG_INVALID', `<url>: must be https:// (got ${parsed.protocol})`);
  }
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  const port = parsed.port === '' ? 443 : Number(parsed.port);
  return {
    url: parsed.toString(),
    host,
    port,
    servername: servername ?? host,
    path: `${parsed.pathname}${parsed.search}`,
    hostHeader: parsed.host,
  };
}

export function parseHeaderLine(line: string): [string, string] {
  const colon = line.indexOf(':');
  if (colon <= 0)
    throw new ProbeError('CONFIG_INVALID', `--header: expected 'Name: value', got ${JSON.stringify(line)}`);
  return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
}

export function buildContext(options: ProbeOptions, inputs: ProbeInputs): ProbeContext {
  const target = parseTarget(options.url, options.servername);
  const timeoutMs = options.timeoutMs ?? PROBE_DEFAULTS.timeoutMs;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ProbeError(
      'CONFIG_INVALID',
      `--timeout: must be a positive number of milliseconds (got ${timeoutMs})`,
    );
  }
  const responseTimeoutMs = options.responseTimeoutMs ?? PROBE_DEFAULTS.responseTimeoutMs;
  if (!Number.isFinite(responseTimeoutMs) || responseTimeoutMs <= 0) {
    throw new ProbeError(
      'CONFIG_INVALID',
      `--response-timeout: must be a positive number of milliseconds (got ${responseTimeoutMs})`,
    );
  }
  const resolver = options.resolver === undefined ? undefined : parseHostPort(options.resolver, 53);
  if (options.resolver !== undefined && (resolver === undefined || isIP(resolver.host) === 0)) {
    throw new ProbeError(
      'CONFIG_INVALID',
      `--resolver: expected IP[:PORT], got ${JSON.stringify(options.resolver)}`,
    );
  }
  const connectTo = options.connectTo === undefined ? undefined : parseHostPort(options.connectTo);
  if (options.connectTo !== undefined && connectTo === undefined) {
    throw new ProbeError(
      'CONFIG_INVALID',
      `--connect-to: expected HOST:PORT, got ${JSON.stringify(options.connectTo)}`,
    );
  }
  const method = (options.method ?? PROBE_DEFAULTS.method).toUpperCase();
  const region = regionOf(options.region);
  return {
    target,
    inputs,
    request: {
      method,
      path: target.path,
      headers: (options.headers ?? []).map(parseHeaderLine),
      ...(options.body === undefined ? {} : { body: options.body }),
    },
    timeoutMs,
    responseTimeoutMs,
    now: options.now ?? new Date(),
    expectStatus: options.expectStatus ?? PROBE_DEFAULTS.expectStatus,
    warnDays: options.warnDays ?? PROBE_DEFAULTS.warnDays,
    allowPublic: options.allowPublic ?? false,
    insecure: options.insecure ?? false,
    resolver: resolver === undefined ? undefined : { host: resolver.host, port: resolver.port },
    connectTo: connectTo === undefined ? undefined : { address: connectTo.host, port: connectTo.port },
    ...(options.vpcEndpointId === undefined
      ? {}
      : {
          vpcEndpoint: {
            id: options.vpcEndpointId,
            region,
            ...(options.ec2Endpoint === undefined ? {} : { endpoint: options.ec2Endpoint }),
          },
        }),
    sni: isIP(target.servername) === 0 ? target.servername : undefined,
    results: new Map(),
    abandon: new AbortController(),
  };
}
