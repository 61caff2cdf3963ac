/** Constraint `match` as Gatekeeper applies it, for the fields the pack uses and a few it may use next. */
import { constraintMatches } from '../../policies/match';

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
