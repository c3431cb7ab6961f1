// The Lambda names --via-lambda uses, loaded on use (see ec2.ts for why not the package itself).
export { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
