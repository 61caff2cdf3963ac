/**
 * synth refuses an object the API server could never store (etcd's 1.5 MiB request limit), such as a
 * constraint holding the parameters of many thousands of agents, instead of writing it.
 */
import { FleetValidationError } from '../lib/fleet/errors';
import { assertObjectFits, MAX_OBJECT_BYTES } from '../synth/object-size';

/** A constraint-shaped object whose JSON is exactly `bytes` long. */
function objectOf(bytes: number): Record<string, unknown> {
  const shell = {
    apiVersion: 'constraints.gatekeeper.sh/v1beta1',
    kind: 'AgentGuardAgentPods',
    metadata: { name: 'agentguard-big-agent-pods' },
    spec: { pad: '' },
  };
  const pad = bytes - Buffer.byteLength(JSON.stringify(shell));
  return { ...shell, spec: { pad: 'x'.repeat(pad) } };
}

test('an object of exactly the limit is written', () => {
  const object = objectOf(MAX_OBJECT_BYTES);
  expect(Buffer.byteLength(JSON.stringify(object))).toBe(MAX_OBJECT_BYTES);
  expect(() => assertObjectFits(object, 'policy-pack/constraints/constraints.yaml')).not.toThrow();
});

test('one byte more is refused as an invalid fleet, naming the object, its file, spec.agents and the fix', () => {
  const attempt = () =>
    assertObjectFits(objectOf(MAX_OBJECT_BYTES + 1), 'policy-pack/constraints/constraints.yaml', 'big.yaml');
  expect(attempt).toThrow(FleetValidationError);
  expect(attempt).toThrow(
    /big\.yaml is invalid[\s\S]*spec\.agents[\s\S]*AgentGuardAgentPods agentguard-big-agent-pods \(policy-pack\/constraints\/constraints\.yaml\) would be 1572865 bytes[\s\S]*split the agents into several fleets/,
  );
});

test('multi-byte characters count as the bytes the API server receives, not as characters', () => {
  const object = objectOf(MAX_OBJECT_BYTES);
  // One ASCII character swapped for a two-byte one: the same length in characters, one byte over.
  const spec = object.spec as { pad: string };
  spec.pad = `é${spec.pad.slice(1)}`;
  expect(() => assertObjectFits(object, 'vap/policies.yaml')).toThrow(/would be 1572865 bytes/);
});
