import { createServer, type Server, type Socket } from 'node:net';

/** A raw TCP upstream whose answer a test scripts byte by byte, for the cases a well-behaved
 *  HTTP server never produces (closing mid-body, closing a kept-alive connection). */
export class ScriptedUpstream {
  readonly server: Server;
  readonly sockets: Socket[] = [];
  port = 0;
  /** Called with each request's raw bytes as they arrive. */
  onRequest: (socket: Socket, data: string) => void = () => {};

  constructor() {
    this.server = createServer((socket) => {
      this.sockets.push(socket);
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => this.onRequest(socket, d));
      socket.on('error', () => {});
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    this.server.close();
  }
}
