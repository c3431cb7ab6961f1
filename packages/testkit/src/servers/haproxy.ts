import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireBinary } from './find-binary.ts';
import type { MtlsTerminator, MtlsTerminatorOptions } from './options.ts';
import { launch } from './server-process.ts';
import { type TlsFiles, tlsVersions, writeTlsFiles } from './tls-files.ts';
import { widgetJson, widgetListJson } from './widgets.ts';

/**
 * Starts HAProxy in the foreground (`-db`) as an mTLS terminator on a free loopback port:
 * `verify required` against `caPem` and the CRLs (a bad certificate fails the TLS handshake, under
 * TLS 1.3 on the client's first read); answers `GET /widgets` and `GET /widgets/1`.
 * HAProxy sets no chain-depth limit of its own.
 */
export async function startHaproxy(opts: MtlsTerminatorOptions): Promise<MtlsTerminator> {
  const binary = requireBinary('haproxy', opts.binary);
  const protocols = tlsVersions(opts.tls);
  const files = await writeTlsFiles('haproxy', opts);
  return launch({
    name: 'haproxy',
    binary,
    dir: files.dir,
    startTimeoutMs: opts.startTimeoutMs ?? 5000,
    prepare: async (port) => {
      const cfg = join(files.dir, 'haproxy.cfg');
      await writeFile(cfg, haproxyCfg({ port, files, protocols }));
      return ['-f', cfg, '-db'];
    },
  });
}

function haproxyCfg(args: { port: number; files: TlsFiles; protocols: string[] }): string {
  const { files, protocols } = args;
  const bind = [
    `bind 127.0.0.1:${args.port} ssl crt ${files.bundleFile}`,
    `ca-file ${files.caFile}`,
    ...(files.crlFile ? [`crl-file ${files.crlFile}`] : []),
    'verify required',
    `ssl-min-ver ${protocols[0]}`,
    `ssl-max-ver ${protocols.at(-1)}`,
    'alpn http/1.1',
  ].join(' ');
  return [
    'global',
    '  maxconn 64',
    '  log stderr format raw local0 info',
    'defaults',
    '  mode http',
    '  log global',
    '  option httplog',
    '  timeout connect 5s',
    '  timeout client 10s',
    '  timeout server 10s',
    '  timeout http-keep-alive 5s',
    'frontend api',
    `  ${bind}`,
    `  http-request return status 200 content-type application/json string '${widgetListJson}' if { path /widgets } METH_GET`,
    `  http-request return status 200 content-type application/json string '${widgetJson}' if { path /widgets/1 } METH_GET`,
    `  http-request return status 404 content-type application/json string '{"message":"Not Found"}'`,
    '',
  ].join('\n');
}
