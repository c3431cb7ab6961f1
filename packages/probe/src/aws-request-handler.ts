const proxyVariables = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'] as const;

/**
 * Client options that make an AWS SDK client honour HTTPS_PROXY / HTTP_PROXY / NO_PROXY, as curl
 * and the AWS CLI do (the SDK's own agents ignore them). Node's agents read the variables themselves
 * (`proxyEnv`, Node 22.21 and 24.5 onwards); without a proxy variable the SDK keeps its defaults.
 */
export function awsRequestHandler(env: NodeJS.ProcessEnv = process.env) {
  if (!proxyVariables.some((name) => (env[name] ?? '') !== '')) return {};
  const proxyEnv = { ...env };
  // Taken on use through getBuiltinModule: an ES import of node:http reads every export, and its
  // lazy WebSocket/EventSource getters load Node's bundled fetch stack (~20 ms of start-up CPU).
  const http = process.getBuiltinModule('node:http');
  const https = process.getBuiltinModule('node:https');
  return {
    requestHandler: {
      httpAgent: new http.Agent({ keepAlive: true, proxyEnv }),
      httpsAgent: new https.Agent({ keepAlive: true, proxyEnv }),
    },
  };
}
