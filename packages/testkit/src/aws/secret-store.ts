import { randomBytes, randomUUID } from 'node:crypto';
import { localAccountId, localAwsRegion } from './http-endpoint.ts';
import { ServiceFault } from './service-fault.ts';

/** A secret value: a string, or bytes (sent base64-encoded on the wire as SecretBinary). */
export interface SecretValue {
  string?: string;
  binary?: Uint8Array;
}

export interface Version {
  readonly id: string;
  /** Empty (neither string nor binary) for the version RotateSecret opens before createSecret fills it. */
  value: SecretValue;
  readonly created: Date;
  readonly stages: Set<string>;
}

export interface Secret {
  readonly name: string;
  readonly arn: string;
  readonly created: Date;
  description?: string;
  tags: Record<string, string>;
  lastChanged: Date;
  lastAccessed?: Date;
  readonly versions: Map<string, Version>;
  /** Set by RotateSecret: the function that rotates this secret, and its schedule. */
  rotation?: { lambdaArn: string; rules?: Record<string, unknown> };
  lastRotated?: Date;
}

export const CURRENT = 'AWSCURRENT';
export const PREVIOUS = 'AWSPREVIOUS';
export const PENDING = 'AWSPENDING';

export const notFound = () =>
  new ServiceFault('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
export const invalidParameter = (message: string) => new ServiceFault('InvalidParameterException', message);

/** The secrets with their versions, and the rules by which staging labels move between versions. */
export class SecretStore {
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
      if (isEmpty(existing.value)) {
        // The version RotateSecret opened: createSecret's PutSecretValue gives it its value.
        existing.value = value;
        for (const stage of stages) this.attach(secret, stage, existing);
        secret.lastChanged = new Date();
        return existing;
      }
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

export const isEmpty = (value: SecretValue) => value.string === undefined && value.binary === undefined;
