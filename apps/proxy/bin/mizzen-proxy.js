#!/usr/bin/env node
// The mizzen-proxy command. It is plain JavaScript on purpose: Node's compile cache keeps the
// TypeScript sources already stripped of their types, so once the cache is warm the type
// stripper (about 15 MB of resident memory, never given back) is not loaded at all, which it
// would be for a TypeScript entry file. The cache lives in NODE_COMPILE_CACHE, else in the
// temporary folder; where it cannot be written the proxy runs the same, only larger.
import { enableCompileCache } from 'node:module';

enableCompileCache();
await import('../src/main.ts');
