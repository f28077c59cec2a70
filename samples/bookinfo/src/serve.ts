import type { Server } from 'node:http';

/** Every app's entry point: listen on loopback at the target port, stop cleanly on SIGTERM. */
export function serve(name: string, server: Server, port: number, pod: string): void {
  server.listen(port, '127.0.0.1', () => console.log(`${name} ${pod} listening on 127.0.0.1:${port}`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
