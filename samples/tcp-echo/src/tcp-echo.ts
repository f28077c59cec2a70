#!/usr/bin/env node
import { createEchoServer } from './echo-server.ts';
import { echoOptions } from './echo-options.ts';

const options = echoOptions(process.argv.slice(2));
const server = createEchoServer(options.prefix);
server.listen(options.port, '127.0.0.1', () => console.log(`tcp-echo ${options.prefix} listening on 127.0.0.1:${options.port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
