import { randomBytes, randomUUID } from 'node:crypto';
import { TestkitError } from '../errors.ts';
import { type LocalEndpoint, localAccountId, localAwsRegion, startHttpEndpoint } from './http-endpoint.ts';
import { type JsonInput, type JsonOperation, jsonRpcHandler } from './json-protocol.ts';
import { ServiceFault } from './service-fault.ts';

/** A secret value: a string, or bytes (sent base64-encoded on the wire as SecretBinary). */
export interface SecretValue {
  string?: string;
  binary?: Uint8Array;
}

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
  /** Answers one action in-process exactly as the HTTP endpoint would (used by the Lambda extension stand-in). */
  invoke(action: string, input: JsonInput, source?: SecretsManagerCall['source']): object;
}

interface Version {
  readonly id: string;
  readonly value: SecretValue;
  readonly created: Date;
  readonly stages: Set<string>;
}

interface Secret {
  readonly name: string;
  readonly arn: string;
  readonly created: Date;
  description?: string;
  tags: Record<string, string>;
  lastChanged: Date;
  lastAccessed?: Date;
  readonly versions: Map<string, Version>;
}

const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const faultMessages: Record<InjectedFault, [string, number]> = {
  ThrottlingException: ['Rate exceeded', 400],
  InternalServiceError: ['An error occurred on the server side.', 500],
  DecryptionFailure: [
    "Secrets Manager can't decrypt the protected secret text using the provided KMS key.",
    400,
  ],
};

const epochSeconds = (date: Date) => date.getTime() / 1000;
const notFound = () =>
  new ServiceFault('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
const invalidParameter = (message: string) => new ServiceFault('InvalidParameterException', message);

class SecretStore {
  readonly secrets = new Map<string, Secret>();

  find(secretId: unknown): Secret {
    if (typeof secretId !== 'string' || secretId === '') {
      throw invalidParameter('You must provide a value for the SecretId parameter.');
    }
    const byName = this.secrets.get(secretId);
    if (byName) return byName;
    for (const secret of this.secrets.values()) {
      // A partial ARN (without the random suffix) also names the secret.
      if (secret.arn === secretId || secret.arn.slice(0, -7) === secretId) return secret;
    }
    throw notFound();
  }

  create(name: string, opts: { description?: string; tags?: Record<string, string> } = {}): Secret {
    if (this.secrets.has(name)) {
      throw new ServiceFault(
        'ResourceExistsException',
        `The operation failed because the secret ${name} already exists.`,
      );
    }
    const suffix = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6);
    const now = new Date();
    const secret: Secret = {
      name,
      arn: `arn:aws:secretsmanager:${localAwsRegion}:${localAccountId}:secret:${name}-${suffix}`,
      created: now,
      lastChanged: now,
      tags: opts.tags ?? {},
      versions: new Map(),
      ...(opts.description === undefined ? {} : { description: opts.description }),
    };
    this.secrets.set(name, secret);
    return secret;
  }

  addVersion(
    secret: Secret,
    value: SecretValue,
    stages: string[],
    versionId: string = randomUUID(),
  ): Version {
    const existing = secret.versions.get(versionId);
    if (existing) {
      if (sameValue(existing.value, value)) return existing;
      throw new ServiceFault(
        'ResourceExistsException',
        `A resource with the ID you requested already exists: version ${versionId} holds a different value.`,
      );
    }
    const version: Version = { id: versionId, value, created: new Date(), stages: new Set() };
    secret.versions.set(versionId, version);
    for (const stage of stages) this.attach(secret, stage, version);
    secret.lastChanged = version.created;
    return version;
  }

  /** Moves `stage` onto `version`; moving AWSCURRENT leaves AWSPREVIOUS on the version that held it. */
  attach(secret: Secret, stage: string, version: Version): void {
    const holder = this.holderOf(secret, stage);
    if (holder === version) return;
    holder?.stages.delete(stage);
    version.stages.add(stage);
    if (stage === CURRENT && holder) {
      this.holderOf(secret, PREVIOUS)?.stages.delete(PREVIOUS);
      holder.stages.add(PREVIOUS);
    }
  }

  holderOf(secret: Secret, stage: string): Version | undefined {
    for (const version of secret.versions.values()) if (version.stages.has(stage)) return version;
    return undefined;
  }

  stages(secret: Secret): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const version of secret.versions.values()) {
      if (version.stages.size > 0) out[version.id] = [...version.stages];
    }
    return out;
  }
}

const sameValue = (a: SecretValue, b: SecretValue) =>
  a.string === b.string && Buffer.from(a.binary ?? []).equals(Buffer.from(b.binary ?? []));

/** Reads SecretString / SecretBinary from a request: exactly one of them. */
function valueFrom(input: JsonInput, required: boolean): SecretValue | undefined {
  const string = input['SecretString'];
  const binary = input['SecretBinary'];
  if (string !== undefined && binary !== undefined) {
    throw invalidParameter('You can provide either SecretString or SecretBinary, not both.');
  }
  if (typeof string === 'string') return { string };
  if (typeof binary === 'string') return { binary: new Uint8Array(Buffer.from(binary, 'base64')) };
  if (required) throw invalidParameter('You must provide either SecretString or SecretBinary.');
  return undefined;
}

function stringList(input: JsonInput, field: string): string[] | undefined {
  const value = input[field];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw invalidParameter(`${field} must be a list of strings.`);
  }
  return value;
}

const optionalString = (input: JsonInput, field: string): string | undefined => {
  const value = input[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidParameter(`${field} must be a string.`);
  return value;
};

function operations(store: SecretStore): Record<string, JsonOperation> {
  return {
    GetSecretValue(input) {
      const secret = store.find(input['SecretId']);
      const versionId = optionalString(input, 'VersionId');
      const versionStage = optionalString(input, 'VersionStage');
      let version: Version | undefined;
      if (versionId !== undefined) {
        version = secret.versions.get(versionId);
        if (!version) {
          throw new ServiceFault(
            'ResourceNotFoundException',
            `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
          );
        }
        if (versionStage !== undefined && !version.stages.has(versionStage)) {
          throw new ServiceFault(
            'InvalidRequestException',
            'You provided a VersionStage that is not associated to the provided VersionId.',
          );
        }
      } else {
        const stage = versionStage ?? CURRENT;
        version = store.holderOf(secret, stage);
        if (!version) {
          throw new ServiceFault(
            'ResourceNotFoundException',
            `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
          );
        }
      }
      const now = new Date();
      secret.lastAccessed = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.id,
        ...(version.value.string === undefined ? {} : { SecretString: version.value.string }),
        ...(version.value.binary === undefined
          ? {}
          : { SecretBinary: Buffer.from(version.value.binary).toString('base64') }),
        VersionStages: [...version.stages],
        CreatedDate: epochSeconds(version.created),
      };
    },

    DescribeSecret(input) {
      const secret = store.find(input['SecretId']);
      return {
        ARN: secret.arn,
        Name: secret.name,
        ...(secret.description === undefined ? {} : { Description: secret.description }),
        RotationEnabled: false,
        LastChangedDate: epochSeconds(secret.lastChanged),
        ...(secret.lastAccessed ? { LastAccessedDate: epochSeconds(secret.lastAccessed) } : {}),
        Tags: Object.entries(secret.tags).map(([Key, Value]) => ({ Key, Value })),
        VersionIdsToStages: store.stages(secret),
        CreatedDate: epochSeconds(secret.created),
      };
    },

    CreateSecret(input) {
      const name = optionalString(input, 'Name');
      if (!name) throw invalidParameter('You must provide a value for the Name parameter.');
      const value = valueFrom(input, false);
      const tags = input['Tags'];
      const secret = store.create(name, {
        ...(typeof input['Description'] === 'string' ? { description: input['Description'] } : {}),
        ...(Array.isArray(tags)
          ? { tags: Object.fromEntries(tags.map((t: { Key?: string; Value?: string }) => [t.Key, t.Value])) }
          : {}),
      });
      const version = value
        ? store.addVersion(secret, value, [CURRENT], optionalString(input, 'ClientRequestToken'))
        : undefined;
      return { ARN: secret.arn, Name: secret.name, ...(version ? { VersionId: version.id } : {}) };
    },

    PutSecretValue(input) {
      const secret = store.find(input['SecretId']);
      const value = valueFrom(input, true) as SecretValue;
      const stages = stringList(input, 'VersionStages') ?? [CURRENT];
      const version = store.addVersion(secret, value, stages, optionalString(input, 'ClientRequestToken'));
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.id,
        VersionStages: [...version.stages],
      };
    },

    UpdateSecretVersionStage(input) {
      const secret = store.find(input['SecretId']);
      const stage = optionalString(input, 'VersionStage');
      if (!stage) throw invalidParameter('You must provide a value for the VersionStage parameter.');
      const removeFrom = optionalString(input, 'RemoveFromVersionId');
      const moveTo = optionalString(input, 'MoveToVersionId');
      const holder = store.holderOf(secret, stage);
      if (removeFrom !== undefined && holder?.id !== removeFrom) {
        throw invalidParameter(`The staging label ${stage} is not attached to version ${removeFrom}.`);
      }
      if (moveTo === undefined) {
        if (removeFrom === undefined)
          throw invalidParameter('You must provide MoveToVersionId or RemoveFromVersionId.');
        if (stage === CURRENT)
          throw invalidParameter('You can only move AWSCURRENT to another version, not remove it.');
        holder?.stages.delete(stage);
        return { ARN: secret.arn, Name: secret.name };
      }
      const target = secret.versions.get(moveTo);
      if (!target) {
        throw new ServiceFault(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for VersionId: ${moveTo}`,
        );
      }
      if (holder && holder !== target && removeFrom === undefined) {
        throw invalidParameter(
          `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder.id}, so you must explicitly reference that version in RemoveFromVersionId.`,
        );
      }
      store.attach(secret, stage, target);
      secret.lastChanged = new Date();
      return { ARN: secret.arn, Name: secret.name };
    },
  };
}

/**
 * A local AWS Secrets Manager speaking AWS JSON 1.1, for the real `@aws-sdk/client-secrets-manager`
 * (`endpoint`, `localAwsCredentials`, region us-east-1). Errors carry the real codes and shapes.
 */
export async function startSecretsManager(
  opts: { secrets?: SeedSecret[] } = {},
): Promise<LocalSecretsManager> {
  const store = new SecretStore();
  const table = operations(store);
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
    const secretId =
      typeof input['SecretId'] === 'string' ? input['SecretId'] : optionalString(input, 'Name');
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
