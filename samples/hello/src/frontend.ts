#!/usr/bin/env node
import { appOptions, parsePort } from './app-options.ts';
import { createFrontendServer } from './frontend-server.ts';

const options = appOptions(process.argv.slice(2), process.env);
const backendPort = parsePort('BACKEND_PORT', process.env.BACKEND_PORT);
const server = createFrontendServer({ pod: options.pod, backendPort });
server.listen(options.port, '127.0.0.1', () => console.log(`hello-frontend ${options.pod} listening on 127.0.0.1:${options.port}, backend at 127.0.0.1:${backendPort}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
