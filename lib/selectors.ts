/**
 * Kubernetes label selectors (`metav1.LabelSelector`) evaluated the way the API server does, so tests
 * and the blast-radius report can tell which pods a NetworkPolicy selects without a cluster.
 *
 * Semantics (k8s.io/apimachinery `LabelSelectorAsSelector`): every matchLabels pair and every
 * requirement must hold; an empty selector `{}` matches everything; `NotIn` and `DoesNotExist` match
 * labels that are absent; `In`/`NotIn` need values, `Exists`/`DoesNotExist` must have none.
 */
export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

export type Labels = Readonly<Record<string, string>>;

/** Whether `labels` satisfy `selector`. Throws on a selector the API server would reject. */
export function selectorMatches(selector: LabelSelector, labels: Labels): boolean {
  const has = (key: string) => Object.prototype.hasOwnProperty.call(labels, key);
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!has(key) || labels[key] !== value) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (values.length === 0) throw invalid(req, 'In needs at least one value');
        if (!has(req.key) || !values.includes(labels[req.key])) return false;
        break;
      case 'NotIn':
        if (values.length === 0) throw invalid(req, 'NotIn needs at least one value');
        if (has(req.key) && values.includes(labels[req.key])) return false;
        break;
      case 'Exists':
        if (values.length > 0) throw invalid(req, 'Exists takes no values');
        if (!has(req.key)) return false;
        break;
      case 'DoesNotExist':
        if (values.length > 0) throw invalid(req, 'DoesNotExist takes no values');
        if (has(req.key)) return false;
        break;
      default:
        throw invalid(req, `unknown operator; use In, NotIn, Exists or DoesNotExist`);
    }
  }
  return true;
}

function invalid(req: LabelSelectorRequirement, why: string): Error {
  return new Error(`invalid label selector requirement on "${req.key}" (${req.operator}): ${why}`);
}
