import { X509Certificate } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { TestkitError } from '../errors.ts';
import { pemBlocks } from '../pki/pem.ts';
import type { MtlsTerminatorOptions, TlsVersion } from './options.ts';

export interface TlsFiles {
  dir: string;
  /** Certificate followed by its chain. */
  certFile: string;
  keyFile: string;
  /** Certificate, chain and key in one file (HAProxy's `crt`). */
  bundleFile: string;
  caFile: string;
  crlFile: string | undefined;
}

const versions: TlsVersion[] = ['TLSv1.2', 'TLSv1.3'];

/** Writes the server's TLS material into a fresh temporary folder; key files are mode 0600. */
export async function writeTlsFiles(prefix: string, opts: MtlsTerminatorOptions): Promise<TlsFiles> {
  const crls = crlBlocks(opts.crlPem);
  checkCrlCoverage(opts.caPem, crls);
  const dir = await mkdtemp(join(tmpdir(), `mtls-link-${prefix}-`));
  const files: TlsFiles = {
    dir,
    certFile: join(dir, 'server.crt'),
    keyFile: join(dir, 'server.key'),
    bundleFile: join(dir, 'server.pem'),
    caFile: join(dir, 'client-ca.pem'),
    crlFile: crls.length > 0 ? join(dir, 'client-crl.pem') : undefined,
  };
  const certChain = withNewline(opts.server.certPem) + withNewline(opts.server.chainPem);
  await Promise.all([
    writeFile(files.certFile, certChain, { mode: 0o644 }),
    writeFile(files.keyFile, withNewline(opts.server.keyPem), { mode: 0o600 }),
    writeFile(files.bundleFile, certChain + withNewline(opts.server.keyPem), { mode: 0o600 }),
    writeFile(files.caFile, withNewline(opts.caPem), { mode: 0o644 }),
    files.crlFile ? writeFile(files.crlFile, crls.join(''), { mode: 0o644 }) : undefined,
  ]);
  return files;
}

/** The protocol versions between `tls.minVersion` and `tls.maxVersion`, both included. */
export function tlsVersions(tls: MtlsTerminatorOptions['tls']): TlsVersion[] {
  const min = versions.indexOf(tls?.minVersion ?? 'TLSv1.2');
  const max = versions.indexOf(tls?.maxVersion ?? 'TLSv1.3');
  if (min < 0 || max < 0 || min > max) {
    throw new TestkitError(
      'SERVER_CONFIG_INVALID',
      `tls: minVersion ${String(tls?.minVersion)} / maxVersion ${String(tls?.maxVersion)} is not a range of TLSv1.2..TLSv1.3`,
    );
  }
  return versions.slice(min, max + 1);
}

function crlBlocks(crlPem: MtlsTerminatorOptions['crlPem']): string[] {
  const texts = crlPem === undefined ? [] : Array.isArray(crlPem) ? crlPem : [crlPem];
  const blocks = texts.flatMap((text) => pemBlocks(text, 'X509 CRL'));
  if (texts.some((text) => text.trim().length > 0) && blocks.length === 0) {
    throw new TestkitError('SERVER_CONFIG_INVALID', 'crlPem: no "-----BEGIN X509 CRL-----" block found');
  }
  return blocks.map((block) => `${block}\n`);
}

/**
 * nginx and HAProxy turn on OpenSSL's CRL check for the whole path as soon as a CRL is given, and
 * then refuse every client whose path has a CA without a CRL ("unable to get certificate CRL").
 * Saying so up front beats a refusal that looks like a test failure.
 */
function checkCrlCoverage(caPem: string, crls: string[]): void {
  if (crls.length === 0) return;
  const issuers = new Set(crls.map((crl) => new x509.X509Crl(crl).issuerName.toString()));
  const cas = pemBlocks(caPem, 'CERTIFICATE');
  if (cas.length === 0) {
    throw new TestkitError('SERVER_CONFIG_INVALID', 'caPem: no "-----BEGIN CERTIFICATE-----" block found');
  }
  for (const ca of cas) {
    const subject = new x509.X509Certificate(ca).subjectName.toString();
    if (!issuers.has(subject)) {
      throw new TestkitError(
        'SERVER_CONFIG_INVALID',
        `crlPem: no CRL issued by "${new X509Certificate(ca).subject.replace(/\n/g, ', ')}"; with CRLs on, ` +
          'nginx and HAProxy need one for every CA in caPem (e.g. [pki.crlPem, pki.rootCrlPem])',
      );
    }
  }
}

function withNewline(text: string): string {
  return text.length === 0 || text.endsWith('\n') ? text : `${text}\n`;
}
