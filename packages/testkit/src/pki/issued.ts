import type * as x509 from '@peculiar/x509';
import { derToPem } from './pem.ts';
import type { CryptoKeyPair } from './webcrypto-types.ts';

/** A certificate with its private key, as the testkit hands it out. */
export interface Issued {
  /** Leaf certificate, PEM. */
  readonly certPem: string;
  /** Private key, unencrypted PKCS#8 PEM. */
  readonly keyPem: string;
  /** The issuing CAs above this certificate (intermediates first, root last), PEM; '' for a root. */
  readonly chainPem: string;
  readonly cert: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
  /** Upper-case hex without colons, as the ALB's `X-Amzn-Mtls-Clientcert-Serial-Number` header. */
  readonly serialHex: string;
  /** Subject DN as @peculiar/x509 prints it (RFC 2253-like, `CN=…, O=…`). */
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export async function toIssued(
  cert: x509.X509Certificate,
  keys: CryptoKeyPair,
  chainPem: string,
): Promise<Issued> {
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    certPem: pemLines(cert.toString('pem')),
    keyPem: derToPem(new Uint8Array(pkcs8), 'PRIVATE KEY'),
    chainPem,
    cert,
    keys,
    serialHex: cert.serialNumber.toUpperCase(),
    subject: cert.subject,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
  };
}

/** @peculiar/x509 ends PEM without a newline; concatenated bundles need one after every block. */
export function pemLines(text: string): string {
  const normalised = text.replace(/\r\n/g, '\n');
  return normalised.endsWith('\n') ? normalised : `${normalised}\n`;
}
