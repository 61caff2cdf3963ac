/** Constraint `match` as Gatekeeper applies it, for the fields the pack uses and a few it may use next. */
import { App } from 'cdk8s';
import { loadFleetFile } from '../../lib/fleet/load';
import { policyCatalog } from '../../policies/catalog';
import { appliedConstraints, constraintMatches, webhookAction } from '../../policies/match';
import { GATEKEEPER_ENFORCEMENT_POINTS, PolicyConstraints } from '../../policies/policy-pack';
import { EXAMPLE_FLEET } from '../support/cli';
import { REPO_ROOT } from '../../tools/toolchain';
import { join } from 'node:path';

const deploymentIn = (namespace?: string) => ({
  kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
  ...(namespace !== undefined ? { namespace } : {}),
});
const POD_KINDS = [{ apiGroups: ['apps'], kinds: ['Deployment'] }];

describe('constraintMatches', () => {
  it.each([
    ['scope * matches anything', { scope: '*' }, deploymentIn(), true],
    ['Namespaced skips cluster-scoped requests', { scope: 'Namespaced' }, deploymentIn(), false],
    ['Cluster skips namespaced requests', { scope: 'Cluster' }, deploymentIn('shop'), false],
    ['namespaces selects listed namespaces', { namespaces: ['shop'] }, deploymentIn('shop'), true],
    ['namespaces skips others', { namespaces: ['shop'] }, deploymentIn('payments'), false],
    ['namespaces do not filter cluster-scoped requests', { namespaces: ['shop'] }, deploymentIn(), true],
    ['a trailing * is a prefix', { namespaces: ['agents-*'] }, deploymentIn('agents-release'), true],
    ['excludedNamespaces skips', { excludedNamespaces: ['kube-*'] }, deploymentIn('kube-system'), false],
    ['kinds by group and kind', { kinds: POD_KINDS }, deploymentIn('shop'), true],
    [
      'kinds: another group is not the kind',
      { kinds: [{ apiGroups: ['evil.example'], kinds: ['Deployment'] }] },
      deploymentIn('shop'),
      false,
    ],
    [
      'kinds: * for any group',
      { kinds: [{ apiGroups: ['*'], kinds: ['Deployment'] }] },
      deploymentIn('shop'),
      true,
    ],
  ])('%s', (_, match, request, expected) => {
    expect(constraintMatches(match, request)).toBe(expected);
  });

  it('refuses a match field it does not implement, rather than ignoring it', () => {
    expect(() => constraintMatches({ labelSelector: {} } as never, deploymentIn('shop'))).toThrow(
      'constraint match field "labelSelector" is not supported',
    );
  });
});

describe('webhookAction: what Gatekeeper webhook does with a violation', () => {
  const points = (...names: string[]) => names.map((name) => ({ name }));
  it.each([
    ['no action is deny', {}, 'deny'],
    ['a plain action', { enforcementAction: 'warn' }, 'warn'],
    [
      'scoped: the action listed for the webhook',
      {
        enforcementAction: 'scoped',
        scopedEnforcementActions: [
          { action: 'dryrun', enforcementPoints: points('validation.gatekeeper.sh') },
        ],
      },
      'dryrun',
    ],
    [
      'scoped: * names every point',
      {
        enforcementAction: 'scoped',
        scopedEnforcementActions: [{ action: 'warn', enforcementPoints: points('*') }],
      },
      'warn',
    ],
    [
      'scoped: the strictest of several for the webhook',
      {
        enforcementAction: 'scoped',
        scopedEnforcementActions: [
          { action: 'warn', enforcementPoints: points('validation.gatekeeper.sh') },
          { action: 'deny', enforcementPoints: points('audit.gatekeeper.sh', 'validation.gatekeeper.sh') },
        ],
      },
      'deny',
    ],
    [
      'scoped: actions of other points do not count',
      {
        enforcementAction: 'scoped',
        scopedEnforcementActions: [
          { action: 'deny', enforcementPoints: points('vap.k8s.io') },
          { action: 'warn', enforcementPoints: points('validation.gatekeeper.sh') },
        ],
      },
      'warn',
    ],
    [
      'scoped without the webhook: not enforced there',
      {
        enforcementAction: 'scoped',
        scopedEnforcementActions: [{ action: 'deny', enforcementPoints: points('audit.gatekeeper.sh') }],
      },
      undefined,
    ],
    ['scoped with no list: not enforced there', { enforcementAction: 'scoped' }, undefined],
  ])('%s', (_, spec, expected) => {
    expect(webhookAction(spec, 'c')).toBe(expected);
  });

  it('refuses an action Gatekeeper does not know, naming the constraint', () => {
    expect(() => webhookAction({ enforcementAction: 'block' }, 'agentguard-x')).toThrow(
      /constraint agentguard-x: enforcement action "block" is not one of deny, warn, dryrun, scoped/,
    );
    expect(() =>
      webhookAction(
        {
          enforcementAction: 'scoped',
          scopedEnforcementActions: [{ action: 'scoped', enforcementPoints: points('*') }],
        },
        'agentguard-y',
      ),
    ).toThrow(/agentguard-y/);
  });
});

describe('the pack constraints: scoped to Gatekeeper own enforcement points, never vap.k8s.io', () => {
  const fleet = loadFleetFile(EXAMPLE_FLEET);
  // A staged rollout: agents in warn and dryrun too, so policies have a constraint per action.
  const mixed = loadFleetFile(join(REPO_ROOT, 'examples', 'fleet-data.yaml'));
  const constraints = (f: typeof fleet) =>
    new PolicyConstraints(new App(), 'c', { fleet: f }).toJson() as Array<{
      metadata: { name: string };
      spec: { enforcementAction: string; scopedEnforcementActions: unknown };
    }>;

  it.each([
    ['the example fleet', fleet],
    ['agents in every mode', mixed],
  ])('%s', (_, f) => {
    const all = constraints(f);
    expect(all.length).toBeGreaterThanOrEqual(policyCatalog().length - 1);
    const actions = new Set<string>();
    for (const c of all) {
      expect(c.spec.enforcementAction).toBe('scoped');
      const scoped = c.spec.scopedEnforcementActions as Array<{
        action: string;
        enforcementPoints: { name: string }[];
      }>;
      expect(scoped).toHaveLength(1);
      expect(scoped[0].enforcementPoints.map((p) => p.name)).toEqual([...GATEKEEPER_ENFORCEMENT_POINTS]);
      actions.add(scoped[0].action);
    }
    expect(GATEKEEPER_ENFORCEMENT_POINTS).not.toContain('vap.k8s.io');
    // The action read back is the one each constraint name says.
    for (const c of appliedConstraints(new PolicyConstraints(new App(), 'c', { fleet: f }))) {
      expect(c.name.endsWith(`-${c.enforcementAction}`) || c.enforcementAction === 'deny').toBe(true);
    }
    if (f === mixed) expect([...actions].sort()).toEqual(['deny', 'dryrun', 'warn']);
  });
});
