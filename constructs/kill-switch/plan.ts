/**
 * The emergency kill switch of one agent as typed data: the steps, in the order that stops the agent
 * fastest and most completely, each a list of commands. `script.ts` renders it to bash; the runner's
 * RBAC (`rbac.ts`) grants exactly what these commands need. Nothing here reads the agent's
 * `killSwitch.state`: the emergency path must not change when the switch is engaged in Git.
 */
import { defaultVaultAddress, type Agent, type Fleet } from '../../lib/fleet/schema';
import { agentRoleName, agentUsername, KILL_SWITCH_ANNOTATIONS, LABELS } from '../../lib/naming';
import { agentVaultLayout } from '../../lib/vault/layout';
import { policyByFolder } from '../../policies/catalog';
import { constraintName } from '../../policies/policy-pack';
import { allowSelector } from '../agent-network';
import { usesVault } from '../pod';

/** Values the script only knows at run time. */
export type RuntimeVar =
  | 'KUBECTL'
  /** Who engaged the switch and why, as given on the command line. */
  | 'ENGAGED_BY'
  | 'REASON'
  /** The same two, each already encoded as a JSON string (quotes included). */
  | 'ENGAGED_BY_JSON'
  | 'REASON_JSON'
  /** One name listed by the `list` command of an `each` action. */
  | 'ITEM';

/** A piece of one shell word: literal text, or the value of a runtime variable. */
export type Piece = string | { readonly var: RuntimeVar };
/** One shell word: a literal, or pieces joined without spaces (`'{"a":'"$X"'}'`). */
export type Word = string | readonly Piece[];

export type Action =
  /** Run one command. */
  | { readonly kind: 'run'; readonly argv: readonly Word[] }
  /** Run `list` (one name per line on stdout), then `each` once per name, with ITEM set to it. */
  | { readonly kind: 'each'; readonly list: readonly Word[]; readonly each: readonly Word[] }
  /**
   * Run `lookup` (prints the object's name, or nothing when it is gone); run `then` when it printed a
   * name, else say `absent` and count it as success: what is gone needs no stopping.
   */
  | {
      readonly kind: 'if-present';
      readonly lookup: readonly Word[];
      readonly then: readonly Action[];
      readonly absent: string;
    }
  /** One Vault API call (`/v1/<path>`) with the operator token; 204 is success. */
  | {
      readonly kind: 'vault';
      readonly method: 'DELETE' | 'PUT';
      readonly path: string;
      readonly operatorPolicy: string;
    }
  /** Nothing to run; say why. */
  | { readonly kind: 'note'; readonly text: string };

export type StepId =
  'admission' | 'network' | 'workload' | 'bindings' | 'serviceaccount' | 'vault' | 'record';

export interface Step {
  readonly id: StepId;
  readonly title: string;
  readonly actions: readonly Action[];
}

export interface KillPlan {
  readonly agent: string;
  readonly namespace: string;
  readonly username: string;
  /** Where Vault is when VAULT_ADDR is not set. */
  readonly vaultAddress: string;
  readonly steps: readonly Step[];
}

const KUBECTL: Piece = { var: 'KUBECTL' };
const kubectl = (...args: Word[]): Action => ({ kind: 'run', argv: [[KUBECTL], ...args] });

/** A JSON value some of whose leaves are runtime variables already holding JSON. */
export type JsonTemplate =
  | string
  | number
  | boolean
  | null
  | { readonly json: RuntimeVar }
  | readonly JsonTemplate[]
  | { readonly [key: string]: JsonTemplate };

const isHole = (v: JsonTemplate): v is { readonly json: RuntimeVar } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && 'json' in v;

/**
 * One shell word holding the JSON of `value`, with each `{ json: VAR }` leaf replaced at run time by
 * the variable's (JSON-encoded) value. Literal parts come from JSON.stringify, never from hand-written
 * JSON.
 */
export function jsonWord(value: JsonTemplate): Piece[] {
  const pieces: Piece[] = [];
  const emit = (p: Piece) => {
    const last = pieces[pieces.length - 1];
    if (typeof p === 'string' && typeof last === 'string') pieces[pieces.length - 1] = last + p;
    else pieces.push(p);
  };
  const walk = (v: JsonTemplate): void => {
    if (isHole(v)) return emit({ var: v.json });
    if (Array.isArray(v)) {
      emit('[');
      v.forEach((item, i) => (emit(i === 0 ? '' : ','), walk(item)));
      return emit(']');
    }
    if (typeof v === 'object' && v !== null) {
      emit('{');
      Object.entries(v).forEach(([key, item], i) => {
        emit(`${i === 0 ? '' : ','}${JSON.stringify(key)}:`);
        walk(item as JsonTemplate);
      });
      return emit('}');
    }
    emit(JSON.stringify(v));
  };
  walk(value);
  return pieces;
}

/** `agentguard.dev/agent=<name>`: the same label the allow policy and the workload select on. */
export function agentPodSelector(agent: Agent): string {
  return Object.entries(allowSelector(agent).matchLabels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** The kill-switch constraint as kubectl names it: `<kind lowercased>.constraints.gatekeeper.sh`. */
export function killSwitchConstraint(fleetName: string): { resource: string; name: string } {
  const policy = policyByFolder('kill-switch');
  return {
    resource: `${policy.kind.toLowerCase()}.constraints.gatekeeper.sh`,
    name: constraintName(policy, fleetName),
  };
}

const SUSPEND = JSON.stringify({ spec: { suspend: true } });

const workloadResource = (agent: Agent): string => `${agent.workload.kind}/${agent.name}`;

/**
 * `then`, only while the agent's workload exists. A finished Job may already be gone
 * (ttlSecondsAfterFinished), and a stopped workload that is gone needs no stopping, so its absence is
 * a note, not a failure; any other error of the lookup (forbidden, unreachable) still fails the step.
 */
function ifWorkloadPresent(agent: Agent, then: Action, absent: string): Action {
  const resource = workloadResource(agent);
  return {
    kind: 'if-present',
    lookup: [[KUBECTL], 'get', resource, '-n', agent.namespace, '--ignore-not-found', '-o', 'name'],
    then: [then],
    absent: `${resource} is not there (already removed): ${absent}`,
  };
}

function workloadActions(agent: Agent): Action[] {
  const ns = agent.namespace;
  const resource = workloadResource(agent);
  const suspend = ifWorkloadPresent(
    agent,
    kubectl('patch', resource, '-n', ns, '--type', 'merge', '-p', SUSPEND),
    'nothing to suspend',
  );
  switch (agent.workload.kind) {
    case 'deployment':
      return [
        ifWorkloadPresent(agent, kubectl('scale', resource, '-n', ns, '--replicas=0'), 'nothing to scale'),
      ];
    case 'job':
      // Suspending a Job deletes its running pods; the Job stays for review.
      return [suspend];
    case 'cronjob':
      return [
        suspend,
        // Suspending the CronJob stops new runs only; its running Jobs carry the agent's label (and
        // may outlive a deleted CronJob, so they are listed whether it exists or not).
        {
          kind: 'each',
          list: [[KUBECTL], 'get', 'jobs', '-n', ns, '-l', agentPodSelector(agent), '-o', 'name'],
          each: [[KUBECTL], 'patch', [{ var: 'ITEM' }], '-n', ns, '--type', 'merge', '-p', SUSPEND],
        },
      ];
  }
}

function annotate(resource: string, agent: Agent): Action {
  return kubectl(
    'annotate',
    resource,
    '-n',
    agent.namespace,
    '--overwrite',
    [`${KILL_SWITCH_ANNOTATIONS.engagedBy}=`, { var: 'ENGAGED_BY' }],
    [`${KILL_SWITCH_ANNOTATIONS.reason}=`, { var: 'REASON' }],
  );
}

export function killPlan(fleet: Fleet, agent: Agent): KillPlan {
  const ns = agent.namespace;
  const constraint = killSwitchConstraint(fleet.metadata.name);
  const targets = agent.targets.map((t) => t.namespace).sort();
  const steps: Step[] = [
    {
      id: 'admission',
      title: 'admission deny (AG601, cluster-wide)',
      actions: [
        // engine vap: there is no Gatekeeper constraint to patch (AG601 is a ValidatingAdmissionPolicy,
        // changed only by GitOps); the ServiceAccount deletion below invalidates every token now.
        ...(fleet.spec.engine === 'vap'
          ? [
              {
                kind: 'note' as const,
                text: 'engine vap: no Gatekeeper constraint to patch; engage the switch in the fleet so AG601 denies the agent once dist/vap is applied (the ServiceAccount deletion below invalidates its tokens now)',
              },
            ]
          : [
              kubectl(
                'patch',
                constraint.resource,
                constraint.name,
                '--type',
                'merge',
                '-p',
                // A merge patch keyed by username: adds or overwrites this agent's entry, leaves the others.
                jsonWord({
                  spec: {
                    parameters: {
                      agents: {
                        [agentUsername(agent)]: {
                          engagedBy: { json: 'ENGAGED_BY_JSON' },
                          reason: { json: 'REASON_JSON' },
                        },
                      },
                    },
                  },
                }),
              ),
            ]),
      ],
    },
    {
      id: 'network',
      title: 'network cut (pods out of every allow policy)',
      actions: [
        kubectl(
          'label',
          'pods',
          '-n',
          ns,
          '-l',
          agentPodSelector(agent),
          `${LABELS.killSwitch}=engaged`,
          '--overwrite',
        ),
      ],
    },
    {
      id: 'workload',
      title: `scale to zero / suspend (${agent.workload.kind})`,
      actions: workloadActions(agent),
    },
    {
      id: 'bindings',
      title: 'delete RoleBindings',
      actions:
        targets.length === 0
          ? [{ kind: 'note', text: 'the agent has no target namespaces, so it holds no RoleBindings' }]
          : targets.map((target) =>
              kubectl(
                'delete',
                'rolebinding',
                agentRoleName(agent),
                '-n',
                target,
                '--ignore-not-found',
                '--wait=false',
              ),
            ),
    },
  ];
  steps.push({
    id: 'serviceaccount',
    title: 'delete ServiceAccount (invalidates every token issued for it)',
    // TokenRequest tokens are bound to the ServiceAccount's UID: deleting it invalidates every token
    // issued for it at once (the pods' own and those Vault issued), which the RoleBinding removal alone
    // does not: a leaked token regains its rights if the RoleBindings come back before it expires. Here,
    // before the Vault step, because Vault's Kubernetes auth checks a login JWT with a TokenReview: from
    // now on no still-valid vault-audience token can log in again, even if the Vault step fails.
    // GitOps recreates the ServiceAccount, with a new UID, so no old token comes back to life.
    actions: [
      kubectl('delete', 'serviceaccount', agent.name, '-n', ns, '--ignore-not-found', '--wait=false'),
    ],
  });
  // An agent without Vault paths has no Vault role and no leases: the step does not exist for it.
  if (usesVault(agent)) {
    const layout = agentVaultLayout(fleet, agent);
    const vault = (method: 'DELETE' | 'PUT', path: string): Action => ({
      kind: 'vault',
      method,
      path,
      operatorPolicy: layout.operatorPolicy,
    });
    steps.push({
      id: 'vault',
      title: 'delete Vault roles, revoke leases (this agent only)',
      actions: [
        // The roles go first, so nothing new is issued after the revoke (a login or a credential
        // request between the two would otherwise outlive it). Vault answers 204 for a role that is
        // already gone, so a second run succeeds too.
        vault('DELETE', `auth/${layout.authMount}/role/${layout.authRole}`),
        vault('DELETE', `${layout.secretsMount}/roles/${layout.secretsRole}`),
        ...[layout.authLeasePrefix, layout.credsLeasePrefix].map((prefix) =>
          vault('PUT', `sys/leases/revoke-prefix/${prefix}`),
        ),
      ],
    });
  }
  steps.push({
    id: 'record',
    title: 'record who engaged it and why',
    // On the workload only: the ServiceAccount is gone (step 5). When the workload is gone too, who
    // and why are still recorded in the agent's AG601 constraint entry (step 1).
    actions: [
      ifWorkloadPresent(
        agent,
        annotate(workloadResource(agent), agent),
        'who and why are recorded in the AG601 constraint entry (step 1)',
      ),
    ],
  });
  return {
    agent: agent.name,
    namespace: ns,
    username: agentUsername(agent),
    vaultAddress: fleet.spec.killSwitch.vaultAddress ?? defaultVaultAddress(fleet.spec.vault),
    steps,
  };
}
