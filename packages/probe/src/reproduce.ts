import { isIP } from 'node:net';
import { formatHostPort } from './net/address.ts';
import type { ProbeOptions } from './options.ts';
import { byAddress, checkOf, type Facts } from './render/details.ts';
import type { ProbeReport, Reproduction } from './report.ts';
import type { CheckId, CheckResult } from './result.ts';

export type { Reproduction } from './report.ts';

import { parseHeaderLine } from './run-context.ts';

/** How the passphrase was given, so a command can point at it without printing it. */
export type PassphraseFrom = { readonly env: string } | { readonly file: string } | 'argument';

/** This run's values the commands repeat: file paths and names, never key material. */
export interface ReproduceValues {
  readonly options: ProbeOptions;
  readonly passphraseFrom?: PassphraseFrom | undefined;
}

// Words starting with $ are the shell's to expand (a passphrase variable), so they go in double quotes.
const quote = (word: string) =>
  word.startsWith('$')
    ? `"${word}"`
    : /^[\w@%+=:,./-]+$/.test(word)
      ? word
      : `'${word.replaceAll("'", `'\\''`)}'`;
const line = (words: readonly string[]) => words.map(quote).join(' ');

interface Identity {
  readonly curl: string[];
  readonly openssl: string[];
  readonly note?: string;
}

function passphraseWords(from: PassphraseFrom | undefined): { curl: string[]; openssl: string[] } {
  if (from === undefined) return { curl: [], openssl: [] };
  if (from === 'argument')
    return { curl: ['--pass', '$MTLS_PASSPHRASE'], openssl: ['-pass', 'env:MTLS_PASSPHRASE'] };
  if ('env' in from) return { curl: ['--pass', `$${from.env}`], openssl: ['-pass', `env:${from.env}`] };
  return { curl: ['--pass', `$(head -n1 ${from.file})`], openssl: ['-pass', `file:${from.file}`] };
}

/** Which identity the check presents: none, the revoked test identity, or the run's credentials. */
function identityFor(check: CheckId, values: ReproduceValues): Identity {
  if (check === 'tls.no-client-cert') return { curl: [], openssl: [] };
  const { options } = values;
  if (check === 'revocation.enforced') {
    if (options.revokedCertFile === undefined || options.revokedKeyFile === undefined)
      return { curl: [], openssl: [] };
    return {
      curl: ['--cert', options.revokedCertFile, '--key', options.revokedKeyFile],
      openssl: ['-cert', options.revokedCertFile, '-key', options.revokedKeyFile],
    };
  }
  const credentials = options.credentials;
  const pass = passphraseWords(values.passphraseFrom);
  switch (credentials?.kind) {
    case undefined:
      return { curl: [], openssl: [] };
    case 'files':
      return {
        curl: ['--cert', credentials.certFile, '--key', credentials.keyFile, ...pass.curl],
        openssl: ['-cert', credentials.certFile, '-key', credentials.keyFile, ...pass.openssl],
      };
    case 'pfx':
      return {
        curl: ['--cert-type', 'P12', '--cert', credentials.pfxFile, ...pass.curl],
        openssl: ['-cert', 'client.pem', '-key', 'client.key'],
        note: `# openssl s_client takes PEM: export ${credentials.pfxFile} to client.pem and client.key first (openssl pkcs12)`,
      };
    case 'secret':
      return {
        curl: ['--cert', 'client.pem', '--key', 'client.key'],
        openssl: ['-cert', 'client.pem', '-key', 'client.key'],
        note: `# the identity came from the secret ${credentials.secretId}: save its certificate (with chain) as client.pem and its key as client.key`,
      };
  }
}

/** The address the failing check saw fail (else the first it dialled, else the URL's host). */
function dialOf(check: CheckResult, report: ProbeReport): { address: string; port: number } {
  const own = [...byAddress(check).values()];
  const dialled = own.length > 0 ? own : [...byAddress(checkOf(report, 'tcp.connect')).values()];
  const bad = dialled.find(
    (a: Facts) =>
      a.failure !== undefined ||
      a.ok === false ||
      a.accepted === false ||
      a.code !== undefined ||
      a.refused === false,
  );
  const pick = bad ?? dialled[0];
  if (pick !== undefined && typeof pick.address === 'string' && typeof pick.port === 'number') {
    return { address: pick.address, port: pick.port };
  }
  return { address: report.target.host, port: report.target.port };
}

function curlCommand(
  report: ProbeReport,
  values: ReproduceValues,
  identity: Identity,
  dial: { address: string; port: number },
): string {
  const { options } = values;
  const { target } = report;
  // curl takes SNI and Host from the URL, so the URL carries the servername and --connect-to pins the address.
  const url = new URL(target.url);
  const originalHost = url.host;
  const rewritten = target.servername !== target.host && isIP(target.servername) === 0;
  if (rewritten) url.hostname = target.servername;
  const urlHost = url.hostname.startsWith('[')
    ? url.hostname
    : isIP(url.hostname) === 6
      ? `[${url.hostname}]`
      : url.hostname;
  const words = [
    'curl',
    '--silent',
    '--show-error',
    '--output',
    '/dev/null',
    '--write-out',
    '%{http_code}\\n',
  ];
  if (options.insecure === true) words.push('--insecure');
  for (const ca of options.caFiles ?? []) words.push('--cacert', ca);
  words.push(...identity.curl);
  words.push('--connect-to', `${urlHost}:${target.port}:${formatHostPort(dial.address, dial.port)}`);
  const method = (options.method ?? 'GET').toUpperCase();
  if (method !== 'GET') words.push('--request', method);
  const headers = (options.headers ?? []).map(parseHeaderLine);
  // The probe sends the URL's own Host; keep it when the URL above carries the servername instead.
  if (rewritten && !headers.some(([name]) => name.toLowerCase() === 'host'))
    words.push('--header', `Host: ${originalHost}`);
  for (const [name, value] of headers) words.push('--header', `${name}: ${value}`);
  if (options.body !== undefined) words.push('--data-raw', options.body);
  words.push(url.toString());
  return line(words);
}

function opensslCommand(
  check: CheckResult,
  report: ProbeReport,
  values: ReproduceValues,
  identity: Identity,
  dial: { address: string; port: number },
): string {
  const { options } = values;
  const { target } = report;
  const words = ['openssl', 's_client', '-connect', formatHostPort(dial.address, dial.port)];
  if (isIP(target.servername) === 0) words.push('-servername', target.servername);
  const ca = options.caFiles?.[0];
  if (ca !== undefined) words.push('-CAfile', ca);
  if (options.insecure !== true) {
    words.push('-verify_return_error');
    words.push(isIP(target.servername) === 0 ? '-verify_hostname' : '-verify_ip', target.servername);
  }
  words.push(...identity.openssl);
  if (check.id === 'tls.server' || check.id === 'tcp.connect' || check.id === 'dns.resolve') {
    return `${line([...words, '-brief'])} </dev/null`;
  }
  // A TLS 1.3 server refuses a client certificate after the handshake: send the request and read the answer.
  const url = new URL(target.url);
  const request = `${(options.method ?? 'GET').toUpperCase()} ${url.pathname}${url.search} HTTP/1.1\\r\\nHost: ${url.host}\\r\\nConnection: close\\r\\n\\r\\n`;
  return `printf ${quote(request)} | ${line([...words, '-quiet'])}`;
}

/** Commands for the checks that look at no network (inspection, CRLs, the endpoint). */
function offlineCommands(check: CheckResult, values: ReproduceValues): string[] | undefined {
  const { options } = values;
  const credentials = options.credentials;
  const cert = credentials?.kind === 'files' ? credentials.certFile : 'client.pem';
  switch (check.id) {
    case 'client-cert.inspect':
      return [
        line([
          'openssl',
          'x509',
          '-in',
          cert,
          '-noout',
          '-subject',
          '-issuer',
          '-serial',
          '-dates',
          '-ext',
          'keyUsage,extendedKeyUsage',
        ]),
        ...(options.trustStoreFile === undefined
          ? []
          : [line(['openssl', 'verify', '-CAfile', options.trustStoreFile, '-untrusted', cert, cert])]),
      ];
    case 'revocation.crl': {
      const files = (options.crls ?? []).filter((c) => !/^(s3|https?):\/\//.test(c));
      return [
        ...files.map((c) =>
          line(['openssl', 'crl', '-in', c, '-noout', '-issuer', '-lastupdate', '-nextupdate']),
        ),
        ...(options.trustStoreFile === undefined || files.length === 0
          ? []
          : [
              line([
                'openssl',
                'verify',
                '-crl_check',
                '-CAfile',
                options.trustStoreFile,
                ...files.flatMap((c) => ['-CRLfile', c]),
                '-untrusted',
                cert,
                cert,
              ]),
            ]),
      ];
    }
    case 'vpce.state':
      return options.vpcEndpointId === undefined
        ? []
        : [line(['aws', 'ec2', 'describe-vpc-endpoints', '--vpc-endpoint-ids', options.vpcEndpointId])];
    default:
      return undefined;
  }
}

/** The commands that reproduce a failing network check: dig for DNS, then curl and openssl s_client. */
function onlineCommands(check: CheckResult, report: ProbeReport, values: ReproduceValues): string[] {
  const identity = identityFor(check.id, values);
  const dial = dialOf(check, report);
  return [
    ...(check.id === 'dns.resolve'
      ? [
          line([
            'dig',
            '+noall',
            '+answer',
            report.target.host,
            ...(values.options.resolver === undefined
              ? []
              : [`@${values.options.resolver.replace(/:\d+$/, '')}`]),
          ]),
        ]
      : []),
    ...(identity.note === undefined ? [] : [identity.note]),
    curlCommand(report, values, identity, dial),
    opensslCommand(check, report, values, identity, dial),
  ];
}

/**
 * For each failing check, the curl and `openssl s_client` commands that repeat it with this run's
 * values (the address that failed, SNI, CA and identity file paths; never key material or a
 * passphrase, which the commands read from where the run read them).
 */
export function reproduceCommands(report: ProbeReport, values: ReproduceValues): Reproduction[] {
  if (report.error !== undefined) return [];
  return report.checks
    .filter((c) => c.status === 'fail')
    .map((check) => ({
      check: check.id,
      ...(check.code === undefined ? {} : { code: check.code }),
      commands: offlineCommands(check, values) ?? onlineCommands(check, report, values),
    }))
    .filter((r) => r.commands.length > 0);
}

/** The text section under the report. */
export function renderReproduce(reproductions: readonly Reproduction[]): string {
  if (reproductions.length === 0) return '';
  const lines = ['reproduce:'];
  for (const r of reproductions) {
    lines.push(`  ${r.check}${r.code === undefined ? '' : ` ${r.code}`}:`);
    for (const command of r.commands) lines.push(`    ${command}`);
  }
  return `${lines.join('\n')}\n`;
}
