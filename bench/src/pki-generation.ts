import { createRootCa, createTestPki } from '@mtls-link/testkit';
import { median } from './stats.ts';

export interface PkiGenerationTimes {
  /** 3 EC CAs, 4 more intermediates, a server, 8 EC clients, 2 CRLs: the testkit's EC set. */
  readonly ecSetMs: number;
  /** `createTestPki()`: the EC set plus the RSA 1024/2048/4096 flavours. */
  readonly fullSetMs: number;
  /** One RSA 4096 CA alone, what dominates the full set. */
  readonly rsa4096Ms: number;
}

/** How long the testkit takes to make its PKI (the issue's target: under 1 s for an EC set): medians of `runs`. */
export async function measurePkiGeneration(runs: number): Promise<PkiGenerationTimes> {
  // Warm-up: module initialisation and JIT are not what the numbers are about.
  await createRootCa();
  const samples: PkiGenerationTimes[] = [];
  for (let i = 0; i < runs; i++) samples.push(await measureOnce());
  const med = (pick: (t: PkiGenerationTimes) => number) => Math.round(median(samples.map(pick)));
  return {
    ecSetMs: med((t) => t.ecSetMs),
    fullSetMs: med((t) => t.fullSetMs),
    rsa4096Ms: med((t) => t.rsa4096Ms),
  };
}

async function measureOnce(): Promise<PkiGenerationTimes> {
  const ecStart = performance.now();
  const [root, foreign] = await Promise.all([createRootCa(), createRootCa()]);
  const intermediate = await root.issueIntermediate();
  let deep = intermediate;
  for (let i = 0; i < 4; i++) deep = await deep.issueIntermediate();
  const revoked = await intermediate.issueClient();
  const day = 86_400_000;
  await Promise.all([
    intermediate.issueServer({ dnsNames: ['localhost'], ips: ['127.0.0.1'] }),
    intermediate.issueClient(),
    intermediate.issueClient({
      notBefore: new Date(Date.now() - 20 * day),
      notAfter: new Date(Date.now() - day),
    }),
    intermediate.issueClient({
      notBefore: new Date(Date.now() + day),
      notAfter: new Date(Date.now() + 20 * day),
    }),
    foreign.issueClient(),
    intermediate.issueClient({ extendedKeyUsages: ['serverAuth'] }),
    deep.issueClient(),
    intermediate.issueClient({ key: { kind: 'ec', curve: 'P-384' } }),
    intermediate.crl({ revoked: [revoked] }),
    root.crl(),
  ]);
  const ecSetMs = performance.now() - ecStart;

  const fullStart = performance.now();
  await createTestPki();
  const fullSetMs = performance.now() - fullStart;

  const rsaStart = performance.now();
  await createRootCa({ key: { kind: 'rsa', bits: 4096 } });
  const rsa4096Ms = performance.now() - rsaStart;
  return { ecSetMs, fullSetMs, rsa4096Ms };
}
