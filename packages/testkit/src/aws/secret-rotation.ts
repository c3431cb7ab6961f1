import { randomUUID } from 'node:crypto';
import type { JsonInput } from './json-protocol.ts';
import { CURRENT, PENDING, type Secret, type SecretStore } from './secret-store.ts';
import { ServiceFault } from './service-fault.ts';

/** The four steps of the Secrets Manager rotation contract, in the order the service invokes them. */
export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** The event the service sends the rotation Lambda function for each step. */
export interface RotationEvent {
  readonly Step: RotationStep;
  /** The secret's ARN. */
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly RotationToken: string;
}

/** A rotation Lambda function, in-process: the handler the real service would invoke. */
export type RotationFunction = (event: RotationEvent) => Promise<unknown>;

/** How one rotation ended: every step passed, or the step that threw and its message. */
export interface RotationOutcome {
  readonly versionId: string;
  readonly completed: boolean;
  readonly steps: readonly RotationStep[];
  readonly failedStep?: RotationStep;
  readonly error?: string;
}

/**
 * RotateSecret as the service does it: records the function and schedule, opens a version with the
 * request token as its id and AWSPENDING as its label, then invokes the function for each step in
 * the background (the call answers at once). A failed step stops the rotation and leaves AWSPENDING
 * where it is; after finishSecret the service takes AWSPENDING off the new version.
 */
export class SecretRotations {
  private readonly functions = new Map<string, RotationFunction>();
  private readonly outcomes = new Map<string, Promise<RotationOutcome>>();

  private readonly store: SecretStore;

  constructor(store: SecretStore) {
    this.store = store;
  }

  register(lambdaArn: string, fn: RotationFunction): void {
    this.functions.set(lambdaArn, fn);
  }

  /** The outcome of the rotation whose token (the new VersionId) is `versionId`. */
  outcome(versionId: string): Promise<RotationOutcome> {
    const outcome = this.outcomes.get(versionId);
    if (!outcome) return Promise.reject(new Error(`no rotation was started with token ${versionId}`));
    return outcome;
  }

  start = (secret: Secret, input: JsonInput): object => {
    const lambdaArn =
      typeof input['RotationLambdaARN'] === 'string'
        ? input['RotationLambdaARN']
        : secret.rotation?.lambdaArn;
    if (lambdaArn === undefined) {
      throw new ServiceFault(
        'InvalidRequestException',
        'No Lambda rotation function ARN is associated with this secret.',
      );
    }
    const fn = this.functions.get(lambdaArn);
    if (!fn) {
      throw new ServiceFault(
        'AccessDeniedException',
        `Secrets Manager cannot invoke the specified Lambda function ${lambdaArn}. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.`,
      );
    }
    const rules = input['RotationRules'];
    secret.rotation = {
      lambdaArn,
      ...(typeof rules === 'object' && rules !== null
        ? { rules: rules as Record<string, unknown> }
        : secret.rotation?.rules === undefined
          ? {}
          : { rules: secret.rotation.rules }),
    };
    if (input['RotateImmediately'] === false) return { ARN: secret.arn, Name: secret.name };

    const token =
      typeof input['ClientRequestToken'] === 'string' ? input['ClientRequestToken'] : randomUUID();
    if (this.outcomes.has(token)) {
      // The same request again (an SDK retry): the rotation it started, running or done, is the answer.
      return { ARN: secret.arn, Name: secret.name, VersionId: token };
    }
    const existing = secret.versions.get(token);
    const pending = this.store.holderOf(secret, PENDING);
    const current = this.store.holderOf(secret, CURRENT);
    if (pending && pending !== current && pending.id !== token) {
      throw new ServiceFault(
        'InvalidRequestException',
        "A previous rotation isn't complete. That rotation will be reattempted.",
      );
    }
    const version = existing ?? this.store.addVersion(secret, {}, [], token);
    this.store.attach(secret, PENDING, version);
    this.outcomes.set(token, this.run(secret, token, fn));
    return { ARN: secret.arn, Name: secret.name, VersionId: token };
  };

  private async run(secret: Secret, token: string, fn: RotationFunction): Promise<RotationOutcome> {
    const steps: RotationStep[] = [];
    for (const step of ROTATION_STEPS) {
      try {
        await fn({
          Step: step,
          SecretId: secret.arn,
          ClientRequestToken: token,
          RotationToken: randomUUID(),
        });
        steps.push(step);
      } catch (error) {
        return {
          versionId: token,
          completed: false,
          steps,
          failedStep: step,
          error: error instanceof Error ? error.message : String(error),
        };
      }
    }
    const version = secret.versions.get(token);
    if (version?.stages.has(CURRENT)) version.stages.delete(PENDING);
    secret.lastRotated = new Date();
    return { versionId: token, completed: true, steps };
  }
}
