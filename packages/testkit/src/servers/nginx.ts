import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestkitError } from '../errors.ts';
import { requireBinary } from './find-binary.ts';
import type { MtlsTerminator, NginxOptions } from './options.ts';
import { launch } from './server-process.ts';
import { type TlsFiles, tlsVersions, writeTlsFiles } from './tls-files.ts';
import { widgetJson, widgetListJson } from './widgets.ts';

/**
 * Starts nginx in the foreground as an mTLS terminator on a free loopback port: client certificate
 * required (`ssl_verify_client on`), checked against `caPem` and the CRLs; answers `GET /widgets`
 * and `GET /widgets/1`. A bad or missing certificate gets nginx's stock 400 page unless
 * `refusal: 'close'`.
 */
export async function startNginx(opts: NginxOptions): Promise<MtlsTerminator> {
  const binary = requireBinary('nginx', opts.binary);
  const protocols = tlsVersions(opts.tls);
  const verifyDepth = opts.verifyDepth ?? 4;
  if (!Number.isInteger(verifyDepth) || verifyDepth < 0) {
    throw new TestkitError(
      'SERVER_CONFIG_INVALID',
      `verifyDepth: ${verifyDepth} is not a non-negative integer`,
    );
  }
  const files = await writeTlsFiles('nginx', opts);
  const errorLog = join(files.dir, 'error.log');
  return launch({
    name: 'nginx',
    binary,
    dir: files.dir,
    errorLog,
    startTimeoutMs: opts.startTimeoutMs ?? 5000,
    prepare: async (port) => {
      const conf = join(files.dir, 'nginx.conf');
      await mkdir(join(files.dir, 'temp'), { recursive: true });
      await writeFile(
        conf,
        nginxConf({
          port,
          files,
          protocols,
          verifyDepth,
          refusal: opts.refusal ?? 'http-400',
          http2: opts.http2 ?? false,
        }),
      );
      // master_process off: one process that never switches user, so it can read its 0700 folder.
      const globals = `daemon off; master_process off; pid ${join(files.dir, 'nginx.pid')}; error_log ${errorLog} info;`;
      return ['-p', files.dir, '-e', errorLog, '-c', conf, '-g', globals];
    },
  });
}

function nginxConf(args: {
  port: number;
  files: TlsFiles;
  protocols: string[];
  verifyDepth: number;
  refusal: 'close' | 'http-400';
  http2: boolean;
}): string {
  const { files } = args;
  const temp = join(files.dir, 'temp');
  // nginx finishes the handshake whatever the verdict and then answers 400 itself (internal codes
  // 495/496: "The SSL certificate error", 496 "No required SSL certificate was sent"); 'close'
  // maps both to 444, which drops the connection without a byte.
  const refusal =
    args.refusal === 'close'
      ? ['    error_page 495 496 =444 @refused;', '    location @refused { return 444; }']
      : [];
  return [
    'events { worker_connections 64; }',
    'http {',
    '  access_log off;',
    `  client_body_temp_path ${temp}/client_body;`,
    `  proxy_temp_path ${temp}/proxy;`,
    `  fastcgi_temp_path ${temp}/fastcgi;`,
    `  uwsgi_temp_path ${temp}/uwsgi;`,
    `  scgi_temp_path ${temp}/scgi;`,
    '  default_type application/json;',
    '  keepalive_timeout 5s;',
    '  server {',
    `    listen 127.0.0.1:${args.port} ssl${args.http2 ? ' http2' : ''};`,
    `    ssl_certificate ${files.certFile};`,
    `    ssl_certificate_key ${files.keyFile};`,
    `    ssl_protocols ${args.protocols.join(' ')};`,
    `    ssl_client_certificate ${files.caFile};`,
    '    ssl_verify_client on;',
    `    ssl_verify_depth ${args.verifyDepth};`,
    ...(files.crlFile ? [`    ssl_crl ${files.crlFile};`] : []),
    ...refusal,
    `    location = /widgets { return 200 '${widgetListJson}'; }`,
    `    location = /widgets/1 { return 200 '${widgetJson}'; }`,
    `    location / { return 404 '{"message":"Not Found"}'; }`,
    '  }',
    '}',
    '',
  ].join('\n');
}
