/** The certificate a server presents right now (what the process serves, not what the Secret holds). */
import * as net from 'net';
import * as tls from 'tls';

/** PostgreSQL: SSLRequest, then TLS (protocol: src/backend/postmaster/postmaster.c, ProcessStartupPacket). */
export function postgresServedFingerprint(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    sock.setTimeout(5000, () => sock.destroy(new Error('timeout')));
    sock.once('error', reject);
    sock.once('connect', () => sock.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])));
    sock.once('data', (d) => {
      if (d[0] !== 0x53) return reject(new Error(`server refused SSL (${String.fromCharCode(d[0])})`));
      const t = tls.connect({ socket: sock, rejectUnauthorized: false }, () => {
        const fp = t.getPeerCertificate().fingerprint256;
        t.destroy();
        resolve(fp);
      });
      t.once('error', reject);
    });
  });
}

/** A TLS server that asks for a client certificate (the pgBackRest TLS server). */
export function tlsServedFingerprint(host: string, port: number, client: { cert: string; key: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const t = tls.connect({ host, port, cert: client.cert, key: client.key, rejectUnauthorized: false }, () => {
      const fp = t.getPeerCertificate().fingerprint256;
      t.destroy();
      resolve(fp);
    });
    t.setTimeout(5000, () => t.destroy(new Error('timeout')));
    t.once('error', reject);
  });
}
