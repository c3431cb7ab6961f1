import { type App, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { checkAzAlignment, consumerPropsFromContext, producerPropsFromContext } from './app-context.ts';
import { ConsumerStack } from './stacks/consumer-stack.ts';
import { ProducerStack } from './stacks/producer-stack.ts';

export interface MtlsLinkAppOptions {
  /** Pre-built canary code. @default the probe's canary handler, bundled at synth */
  readonly canaryCode?: lambda.Code;
  /** Run cdk-nag AwsSolutions as a validation plugin: synthesis fails on any unacknowledged finding. @default true */
  readonly nag?: boolean;
}

/** Adds the producer and consumer stacks to `app`, configured from its context (see CONTEXT_KEYS). */
export function addMtlsLinkStacks(
  app: App,
  options: MtlsLinkAppOptions = {},
): { producer: ProducerStack; consumer: ConsumerStack } {
  const producerProps = producerPropsFromContext(app);
  const consumerProps = consumerPropsFromContext(app);
  checkAzAlignment(producerProps.vpc, consumerProps.vpc);
  const producer = new ProducerStack(app, 'MtlsLinkProducer', {
    ...producerProps,
    description:
      'mtls-link producer: private REST API behind an mTLS ALB, NLB and PrivateLink endpoint service',
  });
  const canary =
    consumerProps.canary === false || options.canaryCode === undefined
      ? consumerProps.canary
      : { ...consumerProps.canary, code: options.canaryCode };
  const consumer = new ConsumerStack(app, 'MtlsLinkConsumer', {
    ...consumerProps,
    ...(canary === undefined ? {} : { canary }),
    description:
      'mtls-link consumer: endpoint to the private API, private DNS, client identity secret, probe canary',
  });
  if (options.nag ?? true) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  }
  return { producer, consumer };
}
