import type { JsonInput, JsonOperation } from './json-protocol.ts';
import {
  CURRENT,
  invalidParameter,
  isEmpty,
  type Secret,
  type SecretStore,
  type SecretValue,
  type Version,
} from './secret-store.ts';
import { ServiceFault } from './service-fault.ts';

const epochSeconds = (date: Date) => date.getTime() / 1000;

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

/** Starts a rotation of `secret` (see secret-rotation.ts); answers what RotateSecret answers. */
export type StartRotation = (secret: Secret, input: JsonInput) => object;

/** The Secrets Manager actions, by name, as AWS JSON 1.1 handlers over one store. */
export function secretsManagerOperations(
  store: SecretStore,
  startRotation?: StartRotation,
): Record<string, JsonOperation> {
  return {
    GetSecretValue(input) {
      const secret = store.find(input['SecretId']);
      const versionId = optionalString(input, 'VersionId');
      const versionStage = optionalString(input, 'VersionStage');
      let version: Version | undefined;
      if (versionId !== undefined) {
        version = secret.versions.get(versionId);
        if (!version || isEmpty(version.value)) {
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
        if (!version || isEmpty(version.value)) {
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
        RotationEnabled: secret.rotation !== undefined,
        ...(secret.rotation === undefined
          ? {}
          : {
              RotationLambdaARN: secret.rotation.lambdaArn,
              ...(secret.rotation.rules === undefined ? {} : { RotationRules: secret.rotation.rules }),
            }),
        ...(secret.lastRotated ? { LastRotatedDate: epochSeconds(secret.lastRotated) } : {}),
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

    RotateSecret(input) {
      const secret = store.find(input['SecretId']);
      if (!startRotation) throw new ServiceFault('InvalidRequestException', 'rotation is not emulated here');
      return startRotation(secret, input);
    },
  };
}
