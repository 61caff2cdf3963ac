/**
 * The Kubernetes side of Vault's Kubernetes auth, for tests without a cluster: ServiceAccount JWTs
 * minted here, and a TokenReview endpoint that vouches for exactly those (any other token is
 * unauthenticated). Point an auth mount's `kubernetes_host` at `url`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export class TokenReviewer {
  private constructor(
    private readonly server: Server,
    private readonly minted: Map<string, { namespace: string; name: string }>,
  ) {}

  static start(): Promise<TokenReviewer> {
    const minted = new Map<string, { namespace: string; name: string }>();
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (d: Buffer) => (raw += d.toString()));
      req.on('end', () => {
        const review = JSON.parse(raw || '{}');
        const who = minted.get(review.spec?.token);
        res.setHeader('Content-Type', 'application/json');
        res.end(
          JSON.stringify({
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenReview',
            status: who
              ? {
                  authenticated: true,
                  audiences: review.spec.audiences ?? ['vault'],
                  user: {
                    username: `system:serviceaccount:${who.namespace}:${who.name}`,
                    uid: `uid-${who.namespace}-${who.name}`,
                  },
                }
              : { authenticated: false, error: 'unknown token' },
          }),
        );
      });
    });
    const reviewer = new TokenReviewer(server, minted);
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(reviewer)));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** An unsigned-looking ServiceAccount JWT; only this endpoint vouches for it. */
  jwt(namespace: string, name: string, audience = 'vault'): string {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const jwt = [
      b64({ alg: 'RS256', kid: 'e2e' }),
      b64({
        iss: 'https://kubernetes.default.svc',
        aud: [audience],
        sub: `system:serviceaccount:${namespace}:${name}`,
        iat: now,
        nbf: now,
        exp: now + 600,
        'kubernetes.io': { namespace, serviceaccount: { name, uid: `uid-${namespace}-${name}` } },
      }),
      Buffer.from(`sig-${this.minted.size}`).toString('base64url'),
    ].join('.');
    this.minted.set(jwt, { namespace, name });
    return jwt;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * A throwaway self-signed CA certificate (PEM), written under `dir`: Vault's Kubernetes auth needs a
 * `kubernetes_ca_cert` whenever it does not read the pod's own (`disable_local_ca_jwt`). Plain HTTP
 * to the endpoint never uses it.
 */
export function throwawayCaCert(dir: string): string {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=test-kubernetes',
      '-keyout',
      join(dir, 'ca.key'),
      '-out',
      join(dir, 'ca.pem'),
    ],
    { stdio: 'pipe' },
  );
  return readFileSync(join(dir, 'ca.pem'), 'utf8');
}
