/**
 * YAML for other tools to read. kubectl, kustomize, Argo CD, Flux and kubeconform read YAML through
 * sigs.k8s.io/yaml, which follows YAML 1.1: a plain `no`, `on`, `y` or `off` is a boolean there,
 * `0o17` or `1_000` a number. The `yaml` package writes YAML 1.2, where those are strings, so an agent
 * named `y` in namespace `no` came out as `name: y` and `namespace: no`: kubectl refused the object,
 * and in a constraint's parameters (schema-less to the API server) the name would have become `true`.
 * Here a string is written plain only when YAML 1.1 and 1.2 both read it back as that string, and
 * also when Go's integer parsing (which takes upper-case `0X`, `0O` and `0B` prefixes) does not.
 */
import { Schema, stringify, type ScalarTag } from 'yaml';

/** Go's strconv.ParseInt with base 0, as go-yaml v2 calls it: prefixes in either case, underscores. */
const goInteger: ScalarTag = {
  tag: 'tag:yaml.org,2002:int',
  default: true,
  test: /^[-+]?0[bBoOxX][0-9a-fA-F_]+$/,
  resolve: (source) => source,
};

const COMPAT = [...new Schema({ schema: 'yaml-1.1' }).tags, goInteger];

/** One YAML document; `aliasDuplicateObjects: false` because Kubernetes tools need no anchors. */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, compat: COMPAT, aliasDuplicateObjects: false });
}
