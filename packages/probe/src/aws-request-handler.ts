import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

const proxyVariables = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'] as const;

/**
 * Client options that make an AWS SDK client honour HTTPS_PROXY / HTTP_PROXY / NO_PROXY, as curl
 * and the AWS CLI do (the SDK's own agents ignore them). Node's agents read the variables themselves
 * (`proxyEnv`, Node 22.21 and 24.5 onwards); without a proxy variable the SDK keeps its defaults.
 */
export function awsRequestHandler(env: NodeJS.ProcessEnv = process.env) {
  if (!proxyVariables.some((name) => (env[name] ?? '') !== '')) return {};
  const proxyEnv = { ...env };
  return {
    requestHandler: {
      httpAgent: new HttpAgent({ keepAlive: true, proxyEnv }),
      httpsAgent: new HttpsAgent({ keepAlive: true, proxyEnv }),
    },
  };
}
