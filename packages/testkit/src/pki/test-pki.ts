import { type CertificateAuthority, createRootCa } from './authority.ts';
import type { Issued } from './issued.ts';
import { defaultKeySpec, generateKeys, type KeySpec } from './key-spec.ts';

/** One client certificate per situation a test of the ALB's verify mode needs. */
export interface ClientFlavours {
  /** Issued by the intermediate, clientAuth, valid now. */
  readonly valid: Issued;
  /** Validity ended yesterday. */
  readonly expired: Issued;
  /** Validity starts tomorrow. */
  readonly notYetValid: Issued;
  /** Listed in `TestPki.crlPem` (and in `staleCrlPem`). */
  readonly revoked: Issued;
  /** Issued by `foreignRoot`, which no trust store here holds. */
  readonly foreignCa: Issued;
  /** EKU serverAuth only: the ALB answers `ClientCertPurposeInvalid`. */
  readonly serverAuthOnly: Issued;
  /** RSA 1024: below the ALB's minimum of 2048 (`ClientCertTypeUnsupported`). */
  readonly rsa1024: Issued;
  /**
   * Leaf under four extra intermediates below `intermediate`: the path leaf → 5 intermediates → root
   * holds 7 certificates. The ALB allows a chain depth of 4; this exceeds it however depth is counted
   * (certificates in the path with or without leaf and root, or intermediates only).
   * `chainPem` holds all 5 intermediates and the root.
   */
  readonly chainTooDeep: Issued;
  readonly rsa2048: Issued;
  readonly rsa4096: Issued;
  readonly ecP256: Issued;
  readonly ecP384: Issued;
}

export interface TestPki {
  readonly root: CertificateAuthority;
  /** Issues the server certificate and every client flavour except `foreignCa`. */
  readonly intermediate: CertificateAuthority;
  readonly foreignRoot: CertificateAuthority;
  /** What the ALB trust store holds: root and intermediate PEM. */
  readonly trustStorePem: string;
  /** For localhost, api.example.com (plus `serverNames`), 127.0.0.1 and ::1; issued by the intermediate. */
  readonly server: Issued;
  readonly clients: ClientFlavours;
  /** The intermediate's CRL listing `clients.revoked`; nextUpdate seven days ahead. */
  readonly crlPem: string;
  /** The root's CRL (lists nothing): verifiers that check CRLs for every CA in the path need it. */
  readonly rootCrlPem: string;
  /** The intermediate's CRL listing `clients.revoked`, with nextUpdate yesterday. */
  readonly staleCrlPem: string;
}

export interface TestPkiOptions {
  /** Key of the CAs, the server and the clients whose flavour does not fix a key. @default EC P-256 */
  key?: KeySpec;
  /** Extra DNS names for the server certificate. */
  serverNames?: string[];
}

const day = 86_400_000;

/**
 * Generates the whole PKI. Independent keys are generated concurrently: WebCrypto runs key
 * generation on libuv's thread pool, so the slow RSA 4096 key overlaps with everything else.
 */
export async function createTestPki(opts: TestPkiOptions = {}): Promise<TestPki> {
  const key = opts.key ?? defaultKeySpec;
  const now = Date.now();
  // Every CA key is started at once (and the slowest, RSA 4096, first): signing is quick, key
  // generation is not, and the CAs of the deep chain would otherwise wait for each other's keys.
  const rsa4096Keys = handled(generateKeys({ kind: 'rsa', bits: 4096 }));
  const rootKeys = handled(generateKeys(key));
  const foreignKeys = handled(generateKeys(key));
  const intermediateKeys = handled(generateKeys(key));
  const deepKeys = Array.from({ length: 4 }, () => handled(generateKeys(key)));
  const [root, foreignRoot] = await Promise.all([
    createRootCa({ commonName: 'mtls-link test root CA', keys: await rootKeys }),
    createRootCa({ commonName: 'mtls-link foreign root CA', keys: await foreignKeys }),
  ]);
  const intermediate = await root.issueIntermediate({
    commonName: 'mtls-link test intermediate CA',
    keys: await intermediateKeys,
  });

  const deepChain = (async () => {
    let ca = intermediate;
    for (const [index, keys] of deepKeys.entries()) {
      ca = await ca.issueIntermediate({
        commonName: `mtls-link deep intermediate ${index + 1}`,
        keys: await keys,
      });
    }
    return ca.issueClient({ commonName: 'client chain too deep', key });
  })();

  const { server, ...clients } = await allOf({
    server: intermediate.issueServer({
      dnsNames: ['localhost', 'api.example.com', ...(opts.serverNames ?? [])],
      ips: ['127.0.0.1', '::1'],
      key,
    }),
    valid: intermediate.issueClient({ commonName: 'client valid', key }),
    expired: intermediate.issueClient({
      commonName: 'client expired',
      notBefore: new Date(now - 30 * day),
      notAfter: new Date(now - day),
      key,
    }),
    notYetValid: intermediate.issueClient({
      commonName: 'client not yet valid',
      notBefore: new Date(now + day),
      notAfter: new Date(now + 30 * day),
      key,
    }),
    revoked: intermediate.issueClient({ commonName: 'client revoked', key }),
    foreignCa: foreignRoot.issueClient({ commonName: 'client foreign CA', key }),
    serverAuthOnly: intermediate.issueClient({
      commonName: 'client serverAuth only',
      extendedKeyUsages: ['serverAuth'],
      key,
    }),
    rsa1024: intermediate.issueClient({ commonName: 'client RSA 1024', key: { kind: 'rsa', bits: 1024 } }),
    chainTooDeep: deepChain,
    rsa2048: intermediate.issueClient({ commonName: 'client RSA 2048', key: { kind: 'rsa', bits: 2048 } }),
    rsa4096: rsa4096Keys.then((keys) => intermediate.issueClient({ commonName: 'client RSA 4096', keys })),
    ecP256: intermediate.issueClient({ commonName: 'client EC P-256', key: { kind: 'ec', curve: 'P-256' } }),
    ecP384: intermediate.issueClient({ commonName: 'client EC P-384', key: { kind: 'ec', curve: 'P-384' } }),
  });

  const [crlPem, rootCrlPem, staleCrlPem] = await Promise.all([
    intermediate.crl({ revoked: [clients.revoked] }),
    root.crl(),
    intermediate.crl({
      revoked: [clients.revoked],
      thisUpdate: new Date(now - 8 * day),
      nextUpdate: new Date(now - day),
    }),
  ]);

  return {
    root,
    intermediate,
    foreignRoot,
    trustStorePem: root.certPem + intermediate.certPem,
    server,
    clients,
    crlPem,
    rootCrlPem,
    staleCrlPem,
  };
}

/** Awaits every promise of an object together, keeping the names. */
async function allOf<T extends Record<string, Promise<unknown>>>(
  promises: T,
): Promise<{ [K in keyof T]: Awaited<T[K]> }> {
  const entries = await Promise.all(
    Object.entries(promises).map(async ([name, promise]) => [name, await promise] as const),
  );
  return Object.fromEntries(entries) as { [K in keyof T]: Awaited<T[K]> };
}

/** Marks a promise started early as handled, so a failure surfaces where it is awaited, not as a crash. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
