import { TestkitError } from '../errors.ts';
import { type LocalEndpoint, localAccountId, startHttpEndpoint } from './http-endpoint.ts';
import { type JsonInput, jsonRpcHandler } from './json-protocol.ts';
import { type RotationFunction, type RotationOutcome, SecretRotations } from './secret-rotation.ts';
import { CURRENT, SecretStore, type SecretValue } from './secret-store.ts';
import { secretsManagerOperations } from './secrets-manager-operations.ts';
import { ServiceFault } from './service-fault.ts';

export type { RotationEvent, RotationFunction, RotationOutcome, RotationStep } from './secret-rotation.ts';
export type { SecretValue } from './secret-store.ts';

export interface SeedSecret extends SecretValue {
  name: string;
  description?: string;
  tags?: Record<string, string>;
  /** Labels of the first version. @default ['AWSCURRENT'] */
  stages?: string[];
}

/** Faults that can be injected with `failNext`: what a caller sees when the service is unwell. */
export type InjectedFault = 'ThrottlingException' | 'InternalServiceError' | 'DecryptionFailure';

export interface SecretsManagerCall {
  op: string;
  secretId: string | undefined;
  versionStage?: string;
  versionId?: string;
  /** Who asked: the HTTP API, or the Lambda extension stand-in reading through this instance. */
  source: 'api' | 'lambda-extension';
  /** The error code answered, when the call failed. */
  error?: string;
}

export interface LocalSecretsManager extends LocalEndpoint {
  /** Every call in arrival order, failed ones included; tests count refreshes with it. */
  readonly calls: SecretsManagerCall[];
  /** Adds a version (creating the secret when absent); returns its VersionId. @default stages ['AWSCURRENT'] */
  putSecret(name: string, value: SecretValue, stages?: string[]): string;
  /** A new AWSCURRENT version; the old one becomes AWSPREVIOUS. Returns the new VersionId. */
  rotate(name: string, value: SecretValue): string;
  /** VersionId -> labels, for versions that still carry a label (as DescribeSecret's VersionIdsToStages). */
  stagesOf(name: string): Record<string, string[]>;
  /** The ARN the secret answers with (name plus AWS's random six-character suffix). */
  arnOf(name: string): string;
  /** The next `count` calls (any action) fail with ThrottlingException. */
  throttleNext(count: number): void;
  /** The next `count` calls (any action) fail with `fault`. */
  failNext(count: number, fault: InjectedFault): void;
  /** Answer AccessDeniedException for every action on this secret while `on`. */
  denyAccess(name: string, on: boolean): void;
  /**
   * Makes `fn` the Lambda function `lambdaArn` names: RotateSecret with that RotationLambdaARN runs
   * its four steps (in the background, as the service does).
   */
  setRotationFunction(lambdaArn: string, fn: RotationFunction): void;
  /** How the rotation RotateSecret answered with VersionId `versionId` ended (waits for it). */
  rotation(versionId: string): Promise<RotationOutcome>;
  /** Answers one action in-process exactly as the HTTP endpoint would (used by the Lambda extension stand-in). */
  invoke(action: string, input: JsonInput, source?: SecretsManagerCall['source']): object;
}

const faultMessages: Record<InjectedFault, [string, number]> = {
  ThrottlingException: ['Rate exceeded', 400],
  InternalServiceError: ['An error occurred on the server side.', 500],
  DecryptionFailure: [
    "Secrets Manager can't decrypt the protected secret text using the provided KMS key.",
    400,
  ],
};

/**
 * A local AWS Secrets Manager speaking AWS JSON 1.1, for the real `@aws-sdk/client-secrets-manager`
 * (`endpoint`, `localAwsCredentials`, region us-east-1). Errors carry the real codes and shapes.
 */
export async function startSecretsManager(
  opts: { secrets?: SeedSecret[] } = {},
): Promise<LocalSecretsManager> {
  const store = new SecretStore();
  const rotations = new SecretRotations(store);
  const table = secretsManagerOperations(store, rotations.start);
  const calls: SecretsManagerCall[] = [];
  const denied = new Set<string>();
  const pendingFaults: InjectedFault[] = [];

  for (const seed of opts.secrets ?? []) {
    const secret = store.create(seed.name, {
      ...(seed.description === undefined ? {} : { description: seed.description }),
      ...(seed.tags === undefined ? {} : { tags: seed.tags }),
    });
    // A seed without a value is a secret whose first version is yet to come, as after CreateSecret without one.
    if (seed.string !== undefined || seed.binary !== undefined) {
      store.addVersion(secret, checkedValue(seed.name, seed), seed.stages ?? [CURRENT]);
    }
  }

  const invoke = (action: string, input: JsonInput, source: SecretsManagerCall['source'] = 'api'): object => {
    const secretId = [input['SecretId'], input['Name']].find((v) => typeof v === 'string') as
      | string
      | undefined;
    const call: SecretsManagerCall = {
      op: action,
      secretId,
      source,
      ...(typeof input['VersionStage'] === 'string' ? { versionStage: input['VersionStage'] } : {}),
      ...(typeof input['VersionId'] === 'string' ? { versionId: input['VersionId'] } : {}),
    };
    calls.push(call);
    try {
      const injected = pendingFaults.shift();
      if (injected) {
        const [message, status] = faultMessages[injected];
        throw new ServiceFault(injected, message, status);
      }
      const operation = Object.hasOwn(table, action) ? table[action] : undefined;
      if (!operation)
        throw new ServiceFault('UnknownOperationException', `operation ${action} is not emulated`);
      const deniedName =
        secretId === undefined ? undefined : [...denied].find((n) => isNamed(store, n, secretId));
      if (deniedName !== undefined) {
        throw new ServiceFault(
          'AccessDeniedException',
          `User: arn:aws:sts::${localAccountId}:assumed-role/local-test/session is not authorized to perform: secretsmanager:${action} on resource: ${secretId} because no identity-based policy allows the secretsmanager:${action} action`,
        );
      }
      return operation(input);
    } catch (error) {
      if (error instanceof ServiceFault) call.error = error.code;
      throw error;
    }
  };

  const failNext = (count: number, fault: InjectedFault) => {
    for (let i = 0; i < count; i++) pendingFaults.push(fault);
  };
  const endpoint = await startHttpEndpoint(
    jsonRpcHandler('secretsmanager', (action, input) => invoke(action, input)),
  );
  const secretNamed = (name: string) => {
    const secret = store.secrets.get(name);
    if (!secret)
      throw new TestkitError('AWS_SECRET_UNKNOWN', `local Secrets Manager holds no secret named '${name}'`);
    return secret;
  };

  return {
    ...endpoint,
    calls,
    putSecret(name, value, stages = [CURRENT]) {
      const checked = checkedValue(name, value);
      const secret = store.secrets.get(name) ?? store.create(name);
      return store.addVersion(secret, checked, stages).id;
    },
    rotate(name, value) {
      return store.addVersion(secretNamed(name), checkedValue(name, value), [CURRENT]).id;
    },
    stagesOf: (name) => store.stages(secretNamed(name)),
    arnOf: (name) => secretNamed(name).arn,
    throttleNext: (count) => failNext(count, 'ThrottlingException'),
    failNext,
    denyAccess(name, on) {
      if (on) denied.add(name);
      else denied.delete(name);
    },
    setRotationFunction: (lambdaArn, fn) => rotations.register(lambdaArn, fn),
    rotation: (versionId) => rotations.outcome(versionId),
    invoke,
  };
}

/** Copies exactly one of string / binary out of what a test passed, refusing both or neither. */
function checkedValue(name: string, value: SecretValue): SecretValue {
  if ((value.string === undefined) === (value.binary === undefined)) {
    throw new TestkitError(
      'AWS_SECRET_VALUE_INVALID',
      `secret '${name}' needs exactly one of 'string' or 'binary'`,
    );
  }
  return value.string === undefined
    ? { binary: new Uint8Array(value.binary ?? []) }
    : { string: value.string };
}

/** True when `secretId` (name, ARN or partial ARN) names the secret called `name`. */
function isNamed(store: SecretStore, name: string, secretId: string): boolean {
  if (name === secretId) return true;
  try {
    return store.find(secretId).name === name;
  } catch {
    return false;
  }
}
