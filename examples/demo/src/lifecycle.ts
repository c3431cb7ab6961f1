import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { ACMPCAClient } from '@aws-sdk/client-acm-pca';
import { RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createRotationHandler, ROTATION_ENV } from '@mtls-link/probe/rotation';
import { localAwsClientConfig, localAwsCredentials, localAwsRegion, startAcmPca } from '@mtls-link/testkit';
import type { DemoProducer } from './producer.ts';
import { callWithSdk } from './sdk-call.ts';

export const enrolledSecretId = 'consumer/enrolled-client';
const rotationFunctionArn = 'arn:aws:lambda:us-east-1:123456789012:function:mtls-link-identity-rotation';
const awsEnv = {
  AWS_ACCESS_KEY_ID: localAwsCredentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: localAwsCredentials.secretAccessKey,
  AWS_REGION: localAwsRegion,
};

const serialOf = (data: unknown) =>
  (data as { mtls?: Record<string, string> } | undefined)?.mtls?.['X-Amzn-Mtls-Clientcert-Serial-Number'];

/**
 * The certificate lifecycle against the emulated producer: a local AWS Private CA signing with the
 * producer's intermediate, `mtls-probe enroll` into a new secret, an SDK call with it, then a
 * rotation (RotateSecret running the probe's rotation function) and the SDK presenting the new serial.
 */
export async function showLifecycle(producer: DemoProducer, probeCli: string): Promise<boolean> {
  const pca = await startAcmPca({ ca: producer.pki.intermediate });
  const sm = new SecretsManagerClient(localAwsClientConfig(producer.secrets));
  const pcaClient = new ACMPCAClient(localAwsClientConfig(pca));
  try {
    const args = [
      'enroll',
      '--ca-arn',
      pca.arn,
      '--secret-id',
      enrolledSecretId,
      '--common-name',
      'orders-service',
      '--pca-endpoint',
      pca.endpoint,
      '--secrets-endpoint',
      producer.secrets.endpoint,
    ];
    console.log(`$ mtls-probe ${args.join(' ')}\n`);
    const child = spawn(process.execPath, [probeCli, ...args], {
      stdio: 'inherit',
      env: { ...process.env, ...awsEnv },
    });
    const [enrollExit] = (await once(child, 'exit')) as [number | null];
    console.log(`\n   exit status ${enrollExit}`);
    const first = await callWithSdk(producer, enrolledSecretId, '/echo');
    const firstSerial = serialOf(first.data);
    console.log(
      `   the SDK with the enrolled identity: GET /echo -> client serial ${firstSerial ?? first.line}\n`,
    );

    // The probe engine inside testSecret reads the pending identity with credentials from the environment.
    Object.assign(process.env, awsEnv);
    const handler = createRotationHandler({
      env: {
        ...awsEnv,
        [ROTATION_ENV.caArn]: pca.arn,
        // The function has no resolver pointed at the demo's DNS server; the server certificate covers the IP.
        [ROTATION_ENV.url]: `https://127.0.0.1:${producer.gateway.port}/widgets`,
        [ROTATION_ENV.ca]: producer.pki.trustStorePem,
      },
      secrets: sm,
      pca: pcaClient,
      secretsEndpoint: producer.secrets.endpoint,
      write: (line) => process.stdout.write(`   ${line}`),
    });
    producer.secrets.setRotationFunction(rotationFunctionArn, handler);
    console.log(
      `$ aws secretsmanager rotate-secret --secret-id ${enrolledSecretId} --rotation-lambda-arn …\n`,
    );
    const started = await sm.send(
      new RotateSecretCommand({
        SecretId: enrolledSecretId,
        RotationLambdaARN: rotationFunctionArn,
        RotationRules: { ScheduleExpression: 'rate(30 days)' },
      }),
    );
    const outcome = await producer.secrets.rotation(started.VersionId ?? '');
    console.log(
      `\n   rotation ${outcome.completed ? 'completed' : `stopped at ${outcome.failedStep}: ${outcome.error}`}`,
    );
    const second = await callWithSdk(producer, enrolledSecretId, '/echo');
    const secondSerial = serialOf(second.data);
    console.log(`   the SDK after the rotation: GET /echo -> client serial ${secondSerial ?? second.line}\n`);
    return (
      enrollExit === 0 &&
      firstSerial !== undefined &&
      outcome.completed &&
      secondSerial !== undefined &&
      secondSerial !== firstSerial
    );
  } finally {
    sm.destroy();
    pcaClient.destroy();
    await pca.close();
  }
}
