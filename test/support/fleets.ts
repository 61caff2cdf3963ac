/** Fleets for tests: a small valid one to mutate, and helpers to run the loader on it. */
import type { FleetInput } from '../../lib/fleet/schema';
import { agentUsername } from '../../lib/naming';

export const DIGEST = `sha256:${'ab'.repeat(32)}`;

export function validFleet(): FleetInput {
  return {
    apiVersion: 'agentguard.dev/v1alpha1',
    kind: 'AgentFleet',
    metadata: { name: 'test-fleet' },
    spec: {
      agents: [
        {
          name: 'reader',
          namespace: 'agents-reader',
          image: `registry.example.com/agents/reader@${DIGEST}`,
          phase: 'shadow',
          targets: [{ namespace: 'shop', kinds: ['Deployment'] }],
        },
        {
          name: 'writer',
          namespace: 'agents-writer',
          image: `registry.example.com/agents/writer@${DIGEST}`,
          phase: 'supervised',
          targets: [{ namespace: 'shop', kinds: ['Deployment', 'ConfigMap'], create: true }],
          vault: { secrets: [{ path: 'secret/data/agents/writer/*' }], ttl: '30m', maxTtl: '1h' },
          attribution: { initiators: ['*@example.com'] },
        },
        {
          name: 'batch',
          namespace: 'agents-batch',
          image: `registry.example.com/agents/batch@${DIGEST}`,
          phase: 'autonomous',
          workload: { kind: 'cronjob', schedule: '*/5 * * * *' },
          targets: [{ namespace: 'jobs', kinds: ['Job'], create: true, deleteKinds: ['Job'] }],
          attribution: { initiators: ['platform@example.com'] },
        },
      ],
    },
  };
}

/**
 * The valid fleet, its writer allowed a little exposure in shop and none in catalog (AG203): the
 * allowances the AG203 attack suite and the engines comparison evaluate against.
 */
export function exposureFleet(): FleetInput {
  const f: Loose = structuredClone(validFleet());
  f.metadata.name = 'exposure';
  const writer = f.spec.agents.find((a: Loose) => a.name === 'writer');
  writer.targets = [
    {
      namespace: 'shop',
      kinds: ['Deployment', 'Service', 'Ingress'],
      create: true,
      exposure: {
        serviceTypes: ['LoadBalancer', 'ExternalName'],
        loadBalancerSourceRanges: ['203.0.113.0/24'],
        ingressClasses: ['nginx'],
        tlsSecrets: ['web-tls'],
        defaultBackend: true,
      },
    },
    { namespace: 'catalog', kinds: ['Service', 'Ingress'], create: true },
  ];
  return f;
}

/** The exposure fleet's writer, by Kubernetes username. */
export const EXPOSURE_WRITER = agentUsername({ name: 'writer', namespace: 'agents-writer' });

/** Tests mutate fleets freely, including into shapes the types forbid. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

/** A deep copy of the valid fleet with `mutate` applied to its plain-object form. */
export function mutated(mutate: (fleet: Loose) => void): unknown {
  const fleet: Loose = structuredClone(validFleet());
  mutate(fleet);
  return fleet;
}
