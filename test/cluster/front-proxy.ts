/**
 * An authenticating proxy in front of the API server, as the README describes for attribution of
 * requests without a body of their own (DELETE, `kubectl scale`): it authenticates the agent's own
 * bearer token with a real TokenReview, then forwards the request with request-header
 * authentication (its client certificate; X-Remote-User, X-Remote-Group and the
 * `agentguard.dev/initiator` and `agentguard.dev/traceparent` extras). The agent cannot set those
 * itself: the proxy drops any X-Remote-* header it sends. Listens on 127.0.0.1 only, over TLS (kubectl
 * sends bearer tokens only over TLS), so kubectl can use it through a kubeconfig.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ControlPlane } from '../../tools/cluster';

export interface Attribution {
  readonly initiator: string;
  readonly traceparent: string;
  /** A signed delegation (AG301 signed mode), sent as userInfo.extra too. */
  readonly delegation?: string;
}

export class FrontProxy {
  private constructor(
    private readonly server: Server,
    private readonly plane: ControlPlane,
    private readonly servingCa: string,
  ) {}

  /** Starts the proxy; every forwarded request carries `attribution()` as userInfo.extra. */
  static async start(plane: ControlPlane, attribution: () => Attribution): Promise<FrontProxy> {
    const certs = plane.frontProxy;
    const tls = { cert: readFileSync(certs.cert), key: readFileSync(certs.key), ca: plane.ca };
    const identities = new Map<string, { username: string; uid: string; groups: string[] } | null>();
    const authenticate = async (token: string) => {
      if (!identities.has(token)) {
        const answer = await plane.raw('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
          token: adminToken(plane),
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
        });
        const status = (
          JSON.parse(answer.body) as {
            status?: { authenticated?: boolean; user?: { username: string; uid: string; groups: string[] } };
          }
        ).status;
        identities.set(token, status?.authenticated && status.user ? status.user : null);
      }
      return identities.get(token);
    };
    // kubectl sends a bearer token only over TLS: the proxy serves HTTPS with its own certificate.
    const serving = join(plane.dir, 'front-proxy-serving');
    const made = spawnSync(
      'sh',
      [
        '-c',
        `mkdir -p "$1" && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout "$1/tls.key" -out "$1/tls.crt" 2>&1`,
        'sh',
        serving,
      ],
      { encoding: 'utf8' },
    );
    if (made.status !== 0) throw new Error(`openssl: ${made.stdout}`);
    const servingCa = readFileSync(join(serving, 'tls.crt'), 'utf8');
    const server = createServer(
      { cert: servingCa, key: readFileSync(join(serving, 'tls.key')) },
      (req: IncomingMessage, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (d: Buffer) => chunks.push(d));
        req.on('end', () => {
          void (async () => {
            const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
            const user = token ? await authenticate(token) : undefined;
            if (!user) {
              res.writeHead(401, { 'Content-Type': 'application/json' });
              res.end(
                JSON.stringify({
                  kind: 'Status',
                  apiVersion: 'v1',
                  status: 'Failure',
                  message: 'Unauthorized',
                  reason: 'Unauthorized',
                  code: 401,
                }),
              );
              return;
            }
            const headers: Record<string, string | string[]> = {};
            for (const [key, value] of Object.entries(req.headers)) {
              if (value === undefined || /^(authorization|host|x-remote-.*|impersonate-.*)$/i.test(key))
                continue;
              headers[key] = value;
            }
            const { initiator, traceparent, delegation } = attribution();
            headers['X-Remote-User'] = user.username;
            headers['X-Remote-Uid'] = user.uid;
            headers['X-Remote-Group'] = user.groups;
            headers['X-Remote-Extra-agentguard.dev%2Finitiator'] = initiator;
            headers['X-Remote-Extra-agentguard.dev%2Ftraceparent'] = traceparent;
            if (delegation) headers['X-Remote-Extra-agentguard.dev%2Fdelegation'] = delegation;
            const upstream = request(
              new URL(req.url ?? '/', plane.server),
              { method: req.method, headers, ...tls },
              (answer) => {
                res.writeHead(answer.statusCode ?? 502, answer.headers);
                answer.pipe(res);
              },
            );
            upstream.on('error', (error) => {
              res.writeHead(502);
              res.end(error.message);
            });
            upstream.end(Buffer.concat(chunks));
          })();
        });
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return new FrontProxy(server, plane, servingCa);
  }

  get url(): string {
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A kubeconfig that sends the agent's token to this proxy. */
  kubeconfig(name: string, token: string): string {
    const file = join(this.plane.dir, `proxy-${name}.kubeconfig`);
    writeFileSync(
      file,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'via-proxy',
            cluster: {
              server: this.url,
              'certificate-authority-data': Buffer.from(this.servingCa).toString('base64'),
            },
          },
        ],
        users: [{ name, user: { token } }],
        contexts: [{ name: 'via-proxy', context: { cluster: 'via-proxy', user: name } }],
        'current-context': 'via-proxy',
      }),
      { mode: 0o600 },
    );
    return file;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The admin's bearer token, from the plane's admin kubeconfig. */
export function adminToken(plane: ControlPlane): string {
  const match = /token: (\S+)/.exec(readFileSync(plane.kubeconfig, 'utf8'));
  if (!match) throw new Error('no token in the admin kubeconfig');
  return match[1];
}
