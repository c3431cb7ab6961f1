/// <reference path="./undici-internals.d.ts" />
// The SDK loads only the undici modules it uses. undici's index requires every dispatcher, fetch,
// WebSocket, EventSource, the cache stores and the mocks up front: about twice the start-up CPU of
// the dispatchers alone. undici is pinned to an exact version (its package has no `exports` map, and
// these paths are the files its own index requires); test/undici-modules.test.ts checks
// that each one is the object undici's index exports.
import type { Agent as AgentType, buildConnector as BuildConnector, Client as ClientType } from 'undici';
import api from 'undici/lib/api/index.js';
import build from 'undici/lib/core/connect.js';
import AgentClass from 'undici/lib/dispatcher/agent.js';
import ClientClass from 'undici/lib/dispatcher/client.js';
import DispatcherClass from 'undici/lib/dispatcher/dispatcher.js';

// What undici's index does on load: the request/stream/pipeline/upgrade/connect methods of every
// dispatcher live on Dispatcher.prototype (the same functions, so doing it twice changes nothing).
Object.assign(DispatcherClass.prototype, api);

export const Agent: typeof AgentType = AgentClass;
export type Agent = AgentType;
export const Client: typeof ClientType = ClientClass;
export type Client = ClientType;
// Its option and callback types stay under undici's own `buildConnector` namespace.
export const buildConnector: typeof BuildConnector = build;
