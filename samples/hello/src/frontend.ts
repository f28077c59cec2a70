#!/usr/bin/env node
import { appOptions, parsePort } from './app-options.ts';
import { createFrontendServer } from './frontend-server.ts';

const options = appOptions(process.argv.slice(2), process.env);
const backendPort = parsePort('BACKEND_PORT', process.env.BACKEND_PORT);
// The service's name, as an app in a mesh calls it; its sidecar captures the connection.
const backendHost = process.env.BACKEND_HOST || 'hello-backend';
const server = createFrontendServer({ pod: options.pod, backendHost, backendPort });
server.listen(options.port, '127.0.0.1', () => console.log(`hello-frontend ${options.pod} listening on 127.0.0.1:${options.port}, backend at ${backendHost}:${backendPort}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
