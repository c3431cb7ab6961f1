import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Issued, TestPki } from '@mtls-link/testkit';

export interface IdentityFiles {
  readonly cert: string;
  readonly key: string;
}

/** The test PKI written to a temp folder, as a user would have it on disk. */
export interface PkiFiles {
  readonly dir: string;
  /** Trust for the server certificate (the root). */
  readonly ca: string;
  /** What the ALB trust store holds. */
  readonly trustStore: string;
  readonly crl: string;
  readonly staleCrl: string;
  identity(name: string, issued: Issued): IdentityFiles;
  write(name: string, text: string): string;
  /** Every private key PEM written, to assert none of it is ever printed. */
  readonly secrets: string[];
  remove(): void;
}

export function writePki(pki: TestPki): PkiFiles {
  const dir = mkdtempSync(join(tmpdir(), 'mtls-probe-test-'));
  const secrets: string[] = [];
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  return {
    dir,
    ca: write('root-ca.pem', pki.root.certPem),
    trustStore: write('trust-store.pem', pki.trustStorePem),
    crl: write('intermediate.crl.pem', pki.crlPem),
    staleCrl: write('stale.crl.pem', pki.staleCrlPem),
    identity(name, issued) {
      secrets.push(issued.keyPem);
      return {
        cert: write(`${name}.pem`, issued.certPem + issued.chainPem),
        key: write(`${name}.key`, issued.keyPem),
      };
    },
    write,
    secrets,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Lines of base64 long enough to be unmistakably key material (not headers). */
export function keyFragments(keyPem: string): string[] {
  return keyPem
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length >= 40 && !l.startsWith('-----'));
}

/** Throws when the text holds any private-key PEM header or any line of a known key or passphrase. */
export function assertNoKeyMaterial(
  text: string,
  keys: readonly string[],
  passphrases: readonly string[] = [],
): void {
  if (/PRIVATE KEY-----/.test(text)) throw new Error('output holds a PRIVATE KEY PEM block');
  for (const key of keys) {
    for (const fragment of keyFragments(key)) {
      if (text.includes(fragment)) throw new Error('output holds a line of a private key');
    }
  }
  for (const p of passphrases) if (text.includes(p)) throw new Error('output holds the passphrase');
}
