/**
 * The Lambda entry point (`handler.handler`). Everything at module scope runs once per execution
 * environment, during init: the environment is read and checked, and the mTLS client is built.
 * Each invocation then only runs `handler`, reusing that client.
 */
import { readHandlerConfig } from './handler-config.ts';
import { createWidgetsFunction } from './widgets-function.ts';

const widgets = createWidgetsFunction(readHandlerConfig(process.env));

export const handler = widgets.handler;
