// A one-request HTTPS client over node:tls that reports what happened rather than throwing:
// the negotiated ALPN, the server certificate's SANs, the response, or why there was none.
import { connect } from 'node:tls';

export interface TlsClientOptions {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly servername?: string;
  readonly alpn?: string[];
  readonly path?: string;
}

export interface TlsResult {
  readonly handshake: boolean;
  readonly alpn: string | false | undefined;
  /** The server certificate's subjectaltname. */
  readonly serverSans: string | undefined;
  readonly status: number | undefined;
  readonly body: string;
  readonly error: string | undefined;
}

export function tlsGet(port: number, options: TlsClientOptions = {}): Promise<TlsResult> {
  return new Promise((resolve) => {
    let handshake = false;
    let alpn: string | false | undefined;
    let serverSans: string | undefined;
    let error: string | undefined;
    let data = '';
    const socket = connect({
      host: '127.0.0.1', port, ca: options.ca, cert: options.cert, key: options.key,
      servername: options.servername ?? 'localhost', ALPNProtocols: options.alpn, rejectUnauthorized: options.ca !== undefined,
      // The tests check SANs themselves; the host name is not the point here.
      checkServerIdentity: () => undefined,
    }, () => {
      handshake = true;
      alpn = socket.alpnProtocol ?? undefined;
      serverSans = socket.getPeerCertificate().subjectaltname;
      socket.write(`GET ${options.path ?? '/'} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    });
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (data += d));
    socket.on('error', (err) => (error = err.message));
    socket.on('close', () => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(data);
      const split = data.indexOf('\r\n\r\n');
      resolve({ handshake, alpn, serverSans, status: match ? Number(match[1]) : undefined, body: split === -1 ? '' : data.slice(split + 4), error });
    });
  });
}
