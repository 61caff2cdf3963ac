/** tools/versions.json: the Kubernetes versions the output is validated against, and what reads them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  KUBERNETES_VERSIONS,
  kubernetesSchemaDir,
  kubernetesSchemaMember,
  readSchemaStamp,
  REPO_ROOT,
  SCHEMA_STAMPS,
  versions,
} from '../../tools/toolchain';

test('the default Kubernetes version is the oldest supported one, and its member key stays valid', () => {
  expect(KUBERNETES_VERSIONS).toEqual(['1.28.0', '1.34.0']);
  expect(versions.kubernetes).toBe(KUBERNETES_VERSIONS[0]);
  expect(kubernetesSchemaMember(versions.kubernetes)).toBe(versions.schemas.kubernetes.member);
});

test.each(KUBERNETES_VERSIONS)('the Kubernetes %s schemas are installed from the pinned wheel', (version) => {
  expect(readSchemaStamp(kubernetesSchemaDir(version))).toBe(SCHEMA_STAMPS.kubernetes);
});

test('the README names the supported range', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const [oldest, newest] = [KUBERNETES_VERSIONS[0], KUBERNETES_VERSIONS.at(-1) ?? ''].map((v) =>
    v.replace(/\.0$/, ''),
  );
  // The table's row, whatever padding prettier gives its columns.
  expect(readme).toMatch(new RegExp(`^\\| Kubernetes +\\| ${oldest} to ${newest} +\\|`, 'm'));
});
