/**
 * What stands between Kassa and the test's Temporal dev server when a test needs a cluster the dev
 * server cannot be: a TLS terminator that demands a client certificate, and a gRPC proxy that
 * records request headers and refuses chosen methods. Also throwaway certificates made with openssl.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

export interface Proxy {
  address: string;
  close(): Promise<void>;
}

function listenOnLoopback(server: net.Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as net.AddressInfo).port}`));
  });
}

function hostPort(address: string) {
  const [host, port] = address.split(':');
  return { host: host!, port: Number(port) };
}

/**
 * Terminates TLS (offering ALPN `h2`, as gRPC needs), demands a client certificate signed by `ca`,
 * and pipes the decrypted bytes to `target`. `handshakeErrors` collects why handshakes failed.
 */
export async function startTlsTerminator(options: {
  target: string;
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}): Promise<Proxy & { handshakeErrors: string[]; authorizedClients: string[] }> {
  const handshakeErrors: string[] = [];
  const authorizedClients: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(
    {
      cert: options.cert,
      key: options.key,
      ca: options.ca,
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (socket) => {
      authorizedClients.push(String(socket.getPeerCertificate().subject?.CN));
      const upstream = net.connect(hostPort(options.target));
      sockets.add(socket).add(upstream);
      socket.pipe(upstream).pipe(socket);
      const end = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    },
  );
  server.on('tlsClientError', (error) => handshakeErrors.push(error.message));
  const address = await listenOnLoopback(server);
  return {
    address,
    handshakeErrors,
    authorizedClients,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The gRPC methods' paths, e.g. `/temporal.api.operatorservice.v1.OperatorService/AddSearchAttributes`. */
export const addSearchAttributesPath = '/temporal.api.operatorservice.v1.OperatorService/AddSearchAttributes';
export const listSearchAttributesPath = '/temporal.api.operatorservice.v1.OperatorService/ListSearchAttributes';

/**
 * A plaintext HTTP/2 proxy for gRPC: forwards every call to `target`, records each request's path
 * and headers, and answers the paths in `refuse` with grpc-status 7 (PERMISSION_DENIED) in trailers.
 */
export async function startGrpcProxy(options: {
  target: string;
  refuse?: string[];
}): Promise<Proxy & { requests: { path: string; headers: http2.IncomingHttpHeaders }[]; refused: string[] }> {
  const requests: { path: string; headers: http2.IncomingHttpHeaders }[] = [];
  const refused: string[] = [];
  const upstream = http2.connect(`http://${options.target}`);
  upstream.on('error', () => undefined);
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers) => {
    const pathname = String(headers[':path']);
    requests.push({ path: pathname, headers });
    stream.on('error', () => undefined);
    if (options.refuse?.includes(pathname)) {
      refused.push(pathname);
      stream.resume();
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () =>
        stream.sendTrailers({ 'grpc-status': '7', 'grpc-message': 'registering search attributes is not allowed' }),
      );
      stream.end();
      return;
    }
    const forwarded: http2.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers))
      if (!name.startsWith(':') || name === ':method' || name === ':path') forwarded[name] = value;
    const call = upstream.request(forwarded);
    call.on('error', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    stream.on('close', () => call.close());
    let trailers: http2.IncomingHttpHeaders = {};
    call.on('trailers', (received) => (trailers = received));
    call.on('response', (response) => {
      // An error without a body comes as headers that end the stream ("trailers-only"): pass it on as such.
      if ('grpc-status' in response) return void stream.respond(response, { endStream: true });
      stream.respond(response, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers(trailers));
      call.pipe(stream);
    });
    stream.pipe(call);
  });
  const address = await listenOnLoopback(server as unknown as net.Server);
  return {
    address,
    requests,
    refused,
    close: () =>
      new Promise((resolve) => {
        for (const session of sessions) session.destroy();
        upstream.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface Certificates {
  dir: string;
  /** PEM file paths. */
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A second CA that signed nothing here. */
  otherCa: string;
  /** The DNS name in the server certificate. */
  serverName: string;
  remove(): void;
}

/** A throwaway CA, a server certificate for `serverName` and a client certificate, made with the openssl binary. */
export function makeCertificates(serverName = 'temporal.kassa.test'): Certificates {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-tls-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const ca of ['ca', 'other-ca'])
    openssl(
      'req', '-x509', ...ec, '-keyout', file(`${ca}.key`), '-out', file(`${ca}.pem`), '-days', '1',
      '-subj', `/CN=Kassa test ${ca}`,
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ); // prettier-ignore
  const leaf = (name: string, subject: string, extensions: string) => {
    fs.writeFileSync(file(`${name}.ext`), extensions);
    openssl('req', ...ec, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', `/CN=${subject}`);
    openssl(
      'x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'),
      '-CAcreateserial', '-out', file(`${name}.pem`), '-days', '1', '-extfile', file(`${name}.ext`),
    ); // prettier-ignore
  };
  leaf('server', serverName, `subjectAltName=DNS:${serverName}\nextendedKeyUsage=serverAuth\n`);
  leaf('client', 'kassa-worker', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    ca: file('ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    clientCert: file('client.pem'),
    clientKey: file('client.key'),
    otherCa: file('other-ca.pem'),
    serverName,
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
