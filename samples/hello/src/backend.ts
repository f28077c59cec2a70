#!/usr/bin/env node
import { appOptions } from './app-options.ts';
import { createBackendServer } from './backend-server.ts';

const options = appOptions(process.argv.slice(2), process.env);
const server = createBackendServer(options.pod);
server.listen(options.port, '127.0.0.1', () => console.log(`hello-backend ${options.pod} listening on 127.0.0.1:${options.port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
