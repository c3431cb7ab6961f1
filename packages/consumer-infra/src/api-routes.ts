import type * as apigateway from 'aws-cdk-lib/aws-apigateway';

/** One resource path of the private REST API and the methods it answers, all sent to the backend. */
export interface ApiRoute {
  /** e.g. `/widgets/{id}`; `{name}` segments become required path parameters. */
  readonly path: string;
  /** HTTP methods, or `ANY`. */
  readonly methods: readonly string[];
}

/**
 * Adds `routes` to `api`, every method proxied to `integration` with the given options. Path
 * parameters (`{id}`) are declared required so the request validator checks them.
 */
export function addApiRoutes(
  api: apigateway.IRestApi,
  routes: readonly ApiRoute[],
  integration: apigateway.Integration,
  options: apigateway.MethodOptions,
): void {
  for (const route of routes) {
    const segments = route.path.split('/').filter((segment) => segment !== '');
    const resource = segments.reduce<apigateway.IResource>(
      (parent, segment) => parent.getResource(segment) ?? parent.addResource(segment),
      api.root,
    );
    const parameters = segments
      .filter((segment) => /^\{[^{}+]+\+?\}$/.test(segment))
      .map((segment) => [`method.request.path.${segment.slice(1, -1).replace(/\+$/, '')}`, true] as const);
    for (const method of route.methods) {
      resource.addMethod(method, integration, {
        ...options,
        ...(parameters.length === 0 ? {} : { requestParameters: Object.fromEntries(parameters) }),
      });
    }
  }
}
