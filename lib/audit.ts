/**
 * The API server audit policy (audit.k8s.io/v1) that records every request by every agent identity
 * at RequestResponse, so the cluster's own audit trail shows what each agent did and saw.
 */
import type { Fleet } from './fleet/schema';
import { agentUsername } from './naming';

export function auditPolicy(fleet: Fleet) {
  const users = fleet.spec.agents.map(agentUsername).sort();
  return {
    apiVersion: 'audit.k8s.io/v1',
    kind: 'Policy',
    metadata: { name: `agentguard-${fleet.metadata.name}` },
    omitStages: ['RequestReceived'],
    rules: [
      // First match wins: agent requests are logged in full before any broader rule can lower them.
      { level: 'RequestResponse', users },
      { level: 'Metadata' },
    ],
  };
}
