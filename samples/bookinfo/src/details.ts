#!/usr/bin/env node
import { appOptions } from './app-options.ts';
import { createDetailsServer } from './details-server.ts';
import { serve } from './serve.ts';

const options = appOptions(process.argv.slice(2), process.env);
serve('details', createDetailsServer(), options.port, options.pod);
