// npm run demo: an emulated producer on this machine, then mtls-probe and one SDK call against it,
// first with a good client identity, then with a revoked one, to show what a broken hop looks like.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { localAwsCredentials, localAwsRegion } from '@mtls-link/testkit';
import { showLifecycle } from './lifecycle.ts';
import { type DemoProducer, revokedSecretId, startDemoProducer, validSecretId } from './producer.ts';
import { callWithSdk } from './sdk-call.ts';

// The installed mtls-probe binary, found the way a package manager finds it: the package's `bin`.
const probePackage = createRequire(import.meta.url).resolve('@mtls-link/probe/package.json');
const probeBin = (JSON.parse(readFileSync(probePackage, 'utf8')) as { bin: Record<string, string> }).bin;
const probeCli = join(dirname(probePackage), probeBin['mtls-probe'] ?? 'dist/cli.js');
const bold = (text: string) =>
  process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${text}\x1b[0m` : text;

/** Runs the real mtls-probe binary; its report goes straight to this terminal. */
async function runProbe(producer: DemoProducer, secretId: string): Promise<number> {
  const args = [
    'check',
    `${producer.baseUrl}/widgets`,
    '--secret-id',
    secretId,
    '--secrets-endpoint',
    producer.secrets.endpoint,
    '--region',
    localAwsRegion,
    '--resolver',
    producer.dnsAddress,
    '--ca',
    producer.files.ca,
    '--trust-store',
    producer.files.ca,
    '--crl',
    producer.files.crl,
  ];
  console.log(`$ mtls-probe ${args.join(' ')}\n`);
  const child = spawn(process.execPath, [probeCli, ...args], {
    stdio: 'inherit',
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: localAwsCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localAwsCredentials.secretAccessKey,
    },
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return code ?? 1;
}

async function main(): Promise<boolean> {
  const producer = await startDemoProducer();
  try {
    console.log(bold('mtls-link demo: an emulated producer on this machine'));
    console.log(`  producer  ${producer.baseUrl} (ALB-like gateway, mTLS verify, trust store with CRL)`);
    console.log(
      `  secrets   ${producer.secrets.endpoint} (local Secrets Manager: ${validSecretId}, ${revokedSecretId})`,
    );
    console.log(`  dns       ${producer.dnsAddress} (api.example.com -> 127.0.0.1)\n`);

    console.log(bold('1. mtls-probe with the consumer identity from Secrets Manager'));
    const validExit = await runProbe(producer, validSecretId);
    console.log(`\n   exit status ${validExit}\n`);

    console.log(bold('2. an SDK call with the same identity'));
    const valid = await callWithSdk(producer, validSecretId);
    console.log(`   ${valid.line}\n`);

    console.log(bold('3. the same with a revoked certificate: which hop breaks, and what to do'));
    const revokedExit = await runProbe(producer, revokedSecretId);
    console.log(`\n   exit status ${revokedExit}\n`);
    const revoked = await callWithSdk(producer, revokedSecretId);
    console.log(`   ${revoked.line}\n`);

    console.log(
      bold('4. the fix: enroll a new identity from AWS Private CA, then rotate it with a live test'),
    );
    const lifecycle = await showLifecycle(producer, probeCli);

    const asExpected = validExit === 0 && valid.ok && revokedExit === 1 && !revoked.ok && lifecycle;
    console.log(
      asExpected
        ? bold(
            'demo finished: the good identity works end to end, the revoked one is caught and explained, a new one is enrolled and rotated',
          )
        : bold('demo finished with an unexpected outcome (see above)'),
    );
    return asExpected;
  } finally {
    await producer.close();
  }
}

process.exitCode = (await main()) ? 0 : 1;
