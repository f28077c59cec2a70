#!/usr/bin/env node
import { appOptions } from './app-options.ts';
import { createRatingsServer } from './ratings-server.ts';
import { serve } from './serve.ts';

const options = appOptions(process.argv.slice(2), process.env);
serve('ratings', createRatingsServer(), options.port, options.pod);
