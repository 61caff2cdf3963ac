import { selectorMatches } from '../../lib/selectors';

const pod = { 'agentguard.dev/agent': 'a', 'agentguard.dev/kill-switch': 'armed' };

describe('selectorMatches (Kubernetes LabelSelector semantics)', () => {
  it.each([
    ['empty selector matches everything', {}, pod, true],
    ['empty selector matches an unlabelled pod', {}, {}, true],
    ['matchLabels hit', { matchLabels: { 'agentguard.dev/agent': 'a' } }, pod, true],
    ['matchLabels other value', { matchLabels: { 'agentguard.dev/agent': 'b' } }, pod, false],
    ['matchLabels missing key', { matchLabels: { team: 'x' } }, pod, false],
    ['matchLabels empty value vs absent key', { matchLabels: { team: '' } }, pod, false],
    ['matchLabels empty value present', { matchLabels: { team: '' } }, { team: '' }, true],
    [
      'In hit',
      { matchExpressions: [{ key: 'agentguard.dev/kill-switch', operator: 'In', values: ['armed', 'x'] }] },
      pod,
      true,
    ],
    ['In absent key', { matchExpressions: [{ key: 'team', operator: 'In', values: ['x'] }] }, pod, false],
    [
      'NotIn absent key matches',
      { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['x'] }] },
      pod,
      true,
    ],
    [
      'NotIn excluded value',
      { matchExpressions: [{ key: 'agentguard.dev/kill-switch', operator: 'NotIn', values: ['armed'] }] },
      pod,
      false,
    ],
    [
      'NotIn case-sensitive',
      { matchExpressions: [{ key: 'agentguard.dev/kill-switch', operator: 'NotIn', values: ['Armed'] }] },
      pod,
      true,
    ],
    ['Exists', { matchExpressions: [{ key: 'agentguard.dev/agent', operator: 'Exists' }] }, pod, true],
    ['Exists absent', { matchExpressions: [{ key: 'team', operator: 'Exists' }] }, pod, false],
    ['DoesNotExist absent', { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, pod, true],
    [
      'DoesNotExist present',
      { matchExpressions: [{ key: 'agentguard.dev/agent', operator: 'DoesNotExist' }] },
      pod,
      false,
    ],
    [
      'all terms must hold',
      {
        matchLabels: { 'agentguard.dev/agent': 'a' },
        matchExpressions: [{ key: 'agentguard.dev/kill-switch', operator: 'NotIn', values: ['armed'] }],
      },
      pod,
      false,
    ],
    [
      'inherited properties are not labels',
      { matchExpressions: [{ key: 'constructor', operator: 'Exists' }] },
      {},
      false,
    ],
  ])('%s', (_name, selector, labels, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });

  it.each([
    [{ key: 'k', operator: 'In', values: [] }, /In needs at least one value/],
    [{ key: 'k', operator: 'NotIn' }, /NotIn needs at least one value/],
    [{ key: 'k', operator: 'Exists', values: ['v'] }, /Exists takes no values/],
    [{ key: 'k', operator: 'DoesNotExist', values: ['v'] }, /DoesNotExist takes no values/],
    [{ key: 'k', operator: 'in', values: ['v'] }, /unknown operator/],
  ])('rejects the invalid requirement %j', (req, message) => {
    expect(() => selectorMatches({ matchExpressions: [req] }, {})).toThrow(message);
  });
});
