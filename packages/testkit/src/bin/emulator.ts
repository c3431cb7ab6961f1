#!/usr/bin/env node
// mtls-emulator: a local stand-in for the ALB mTLS listener in front of a private API, for people
// trying the SDK or the probe by hand, and for benchmarks that want the server in its own process.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { GatewayOptions, MtlsMode, RefusalOptions, RefusalStyle } from '../index.ts';
import {
  createTestPki,
  defaultUpstreamTimeoutMs,
  refusalStyles,
  s2nBlinding,
  startGateway,
} from '../index.ts';

/** `--blinding s2n` or `--blinding 500-2000` (milliseconds). */
function parseBlinding(value: string | undefined): RefusalOptions['blinding'] {
  if (value === undefined) return undefined;
  if (value === 's2n') return { ...s2nBlinding };
  const match = /^(\d+)-(\d+)$/.exec(value);
  if (match === null || Number(match[1]) > Number(match[2])) {
    throw new Error(
      `--blinding must be 's2n' or MIN-MAX milliseconds with MIN <= MAX, got ${JSON.stringify(value)}`,
    );
  }
  return { minMs: Number(match[1]), maxMs: Number(match[2]) };
}

// `pnpm emulator -- --port 8443` hands the script a literal `--`, after which yargs would parse
// nothing and silently ignore every option.
const args = hideBin(process.argv);
if (args[0] === '--') args.shift();

const argv = await yargs(args)
  .scriptName('mtls-emulator')
  .usage(
    '$0 [options]\n\nGenerates a test PKI, writes its PEM files and serves an ALB-like mTLS listener until Ctrl-C.',
  )
  .options({
    mode: {
      choices: ['verify', 'passthrough', 'off'] as const,
      default: 'verify' as const,
      describe: 'mutual-TLS mode of the listener',
    },
    host: { type: 'string', default: '127.0.0.1', describe: 'address to listen on' },
    port: { type: 'number', default: 0, describe: 'port to listen on (default 0: a free port)' },
    tls: {
      choices: ['both', 'TLSv1.2', 'TLSv1.3'] as const,
      default: 'both' as const,
      describe: 'TLS versions offered',
    },
    alpn: {
      type: 'string',
      default: 'h2,http/1.1',
      describe: 'comma-separated ALPN protocols offered (the ALB offers h2,http/1.1)',
    },
    refusal: {
      choices: refusalStyles,
      default: 'reset' as RefusalStyle,
      describe:
        'what a refused client sees: reset (the ALB: TCP RST), close-notify (s2n-tls), alert (OpenSSL servers), close (close_notify + FIN)',
    },
    'refusal-delay': {
      type: 'number',
      default: 0,
      describe: 'milliseconds of silence before refusing',
    },
    blinding: {
      type: 'string',
      describe:
        "s2n-style blinding: 's2n' (random 10-30 s) or MIN-MAX milliseconds, e.g. 500-2000 (default: none)",
      coerce: parseBlinding,
    },
    'upstream-timeout': {
      type: 'number',
      default: defaultUpstreamTimeoutMs,
      describe: 'milliseconds the --upstream may stay silent before the ALB 504 page',
    },
    'missing-route': {
      choices: ['missing-authentication-token', 'forbidden'] as const,
      default: 'missing-authentication-token' as const,
      describe:
        'the 403 shape for an unknown resource: MissingAuthenticationToken or the newer ForbiddenException',
    },
    authorizer: {
      choices: ['allow', 'unauthorized', 'deny'] as const,
      default: 'allow' as const,
      describe: "the authorizer's verdict: 401 Unauthorized, or 403 explicit deny",
    },
    'endpoint-policy-deny': {
      choices: ['IncompleteSignatureException', 'InvalidSignatureException'] as const,
      describe: 'the execute-api VPC endpoint policy denies: 403 with this error type (default: allows)',
    },
    'domain-name': {
      type: 'string',
      describe:
        "the API's domain: another Host (without a matching x-apigw-api-id) gets 403 ForbiddenException",
    },
    'ignore-expiry': { type: 'boolean', default: false, describe: 'IgnoreClientCertificateExpiry' },
    'advertise-ca-names': {
      type: 'boolean',
      default: false,
      describe: "AdvertiseTrustStoreCaNames: list the trust store's CAs in the CertificateRequest",
    },
    'access-denied': {
      type: 'boolean',
      default: false,
      describe: 'answer 403 AccessDeniedException (resource policy deny)',
    },
    'alb-error': {
      choices: [502, 503, 504] as const,
      describe: 'answer every request with this ALB error (default: none)',
    },
    upstream: { type: 'string', describe: 'proxy accepted requests to this URL (default: built-in API)' },
    'reset-ratio': { type: 'number', default: 0, describe: 'share of requests reset mid-request (0..1)' },
    out: {
      type: 'string',
      describe: 'directory for the PEM files, kept on exit (default: a temporary directory, removed on exit)',
    },
    json: { type: 'boolean', default: false, describe: 'print one JSON line (url, files) instead of text' },
    log: { type: 'boolean', describe: 'print connection-log lines to stderr (default: on in text mode)' },
  })
  .strict()
  .help()
  .parseAsync();

const pki = await createTestPki();
const dir = resolve(argv.out ?? (await mkdtemp(join(tmpdir(), 'mtls-emulator-'))));
// The files hold private keys of a PKI that dies with this process: a directory we made goes with it.
const removeDir = (): Promise<void> =>
  argv.out === undefined ? rm(dir, { recursive: true, force: true }) : Promise.resolve();
await mkdir(dir, { recursive: true });
const files = {
  ca: join(dir, 'ca.pem'),
  trustStore: join(dir, 'trust-store.pem'),
  crl: join(dir, 'crl.pem'),
  serverCert: join(dir, 'server.pem'),
  serverKey: join(dir, 'server-key.pem'),
  clientCert: join(dir, 'client.pem'),
  clientKey: join(dir, 'client-key.pem'),
  revokedCert: join(dir, 'revoked.pem'),
  revokedKey: join(dir, 'revoked-key.pem'),
};
const secret = { mode: 0o600 };
await Promise.all([
  writeFile(files.ca, pki.root.certPem),
  writeFile(files.trustStore, pki.trustStorePem),
  writeFile(files.crl, pki.crlPem),
  writeFile(files.serverCert, pki.server.certPem + pki.server.chainPem),
  writeFile(files.serverKey, pki.server.keyPem, secret),
  writeFile(files.clientCert, pki.clients.valid.certPem + pki.clients.valid.chainPem),
  writeFile(files.clientKey, pki.clients.valid.keyPem, secret),
  writeFile(files.revokedCert, pki.clients.revoked.certPem + pki.clients.revoked.chainPem),
  writeFile(files.revokedKey, pki.clients.revoked.keyPem, secret),
]);

const printLog = argv.log ?? !argv.json;
const options: GatewayOptions = {
  mode: argv.mode as MtlsMode,
  server: { certPem: pki.server.certPem, keyPem: pki.server.keyPem, chainPem: pki.server.chainPem },
  trustStore: { caPem: pki.trustStorePem, crlPems: [pki.crlPem] },
  ignoreClientCertificateExpiry: argv['ignore-expiry'],
  advertiseTrustStoreCaNames: argv['advertise-ca-names'],
  tls: {
    ...(argv.tls === 'both' ? {} : { minVersion: argv.tls, maxVersion: argv.tls }),
    alpn: argv.alpn.split(',').map((p) => p.trim()) as ('h2' | 'http/1.1')[],
  },
  refusal: {
    style: argv.refusal as RefusalStyle,
    delayMs: argv['refusal-delay'],
    ...(argv.blinding === undefined ? {} : { blinding: argv.blinding }),
  },
  upstreamTimeoutMs: argv['upstream-timeout'],
  apiGateway: {
    accessDenied: argv['access-denied'],
    missingRoute: argv['missing-route'],
    authorizer: argv.authorizer,
    ...(argv['endpoint-policy-deny'] === undefined
      ? {}
      : { endpointPolicyDeny: argv['endpoint-policy-deny'] }),
    ...(argv['domain-name'] === undefined ? {} : { domainName: argv['domain-name'] }),
  },
  faults: { resetRatio: argv['reset-ratio'] },
  host: argv.host,
  port: argv.port,
  ...(argv['alb-error'] === undefined ? {} : { albError: argv['alb-error'] }),
  ...(argv.upstream === undefined ? {} : { upstream: argv.upstream }),
  ...(printLog ? { onConnectionLog: (line: string) => process.stderr.write(`${line}\n`) } : {}),
};

let gateway: Awaited<ReturnType<typeof startGateway>>;
try {
  gateway = await startGateway(options);
} catch (error) {
  process.stderr.write(`mtls-emulator: ${error instanceof Error ? error.message : String(error)}\n`);
  await removeDir();
  process.exit(2);
}

const stop = (): void => {
  Promise.all([gateway.close(), removeDir()]).then(
    () => process.stderr.write(printLog ? 'mtls-emulator: stopped\n' : ''),
    (error: unknown) => {
      process.stderr.write(`mtls-emulator: close failed: ${String(error)}\n`);
      process.exitCode = 1;
    },
  );
};
// Before the ready line: whoever reads it may signal at once, and must not kill us uncleaned.
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

const probe = [
  'mtls-probe check',
  `${gateway.url}/widgets`,
  `--cert ${files.clientCert} --key ${files.clientKey}`,
  `--ca ${files.ca} --servername localhost`,
  `--trust-store ${files.trustStore} --crl ${files.crl}`,
  `--revoked-cert ${files.revokedCert} --revoked-key ${files.revokedKey}`,
].join(' ');
const curl = `curl --cacert ${files.ca} --cert ${files.clientCert} --key ${files.clientKey} ${gateway.url}/widgets`;

if (argv.json) {
  process.stdout.write(
    `${JSON.stringify({ url: gateway.url, host: gateway.host, port: gateway.port, mode: argv.mode, dir, files })}\n`,
  );
} else {
  process.stdout.write(
    [
      `mtls-emulator: ${argv.mode} mode listening on ${gateway.url}`,
      `files in ${dir}${argv.out === undefined ? ' (removed on exit)' : ''}:`,
      ...Object.entries(files).map(([name, path]) => `  ${name.padEnd(12)} ${path}`),
      '',
      'try:',
      `  ${curl}`,
      `  ${probe}`,
      '',
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
}
