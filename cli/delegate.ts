/**
 * `agentguard delegate` mints a delegation token (signed attribution, I3) for tests and for teams
 * without an issuer yet; `agentguard keys generate` makes the key pair. Wiring only: the work is in
 * cli/delegate-actions.ts, loaded when a command runs. Library code: lib/delegation.ts.
 */
import type { Command } from 'commander';
import { DELEGATION_ALGORITHMS } from '../lib/fleet/algorithms';
import type { DelegateFlags, KeysFlags } from './delegate-actions';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function delegateCommand(program: Command): void {
  program
    .command('delegate')
    .description(
      'Mint a delegation token: the human --initiator delegates to --agent for one trace (signed attribution)',
    )
    .requiredOption(
      '--issuer-key <file>',
      'the private JWK of a trusted issuer (from `agentguard keys generate`)',
    )
    .requiredOption('--initiator <user>', 'the human who delegates, e.g. alice@shop.example')
    .requiredOption('--agent <name>', 'the agent of the fleet that acts')
    .option(
      '-f, --fleet <file>',
      'fleet file (names the agent, the issuer and its audience)',
      'examples/fleet.yaml',
    )
    .option(
      '--issuer <name>',
      'which spec.attribution.issuers entry (default: the one whose JWKS holds the key id)',
    )
    .option(
      '--scope <dim=v1,v2>',
      'narrow to namespaces=…, resources=… (deployments.apps) or verbs=… (repeatable)',
      collect,
      [],
    )
    .option('--ttl <duration>', 'lifetime, at most the fleet spec.attribution.maxTtl', '5m')
    .option(
      '--trace-id <hex>',
      "32 hex: the trace id of the agent's traceparent (default: a new one, printed on stderr)",
    )
    .addHelpText(
      'after',
      '\nPrints the token on stdout. Set it as annotation agentguard.dev/delegation (or userInfo.extra via the proxy) with a traceparent of the same trace id.\nExit codes: 0 minted; 1 an invalid fleet; 2 usage or bad input.',
    )
    .action(async (flags: DelegateFlags) => (await import('./delegate-actions')).delegate(flags));
}

export function keysCommand(program: Command): void {
  const keys = program.command('keys').description('Keys of a delegation issuer');
  keys
    .command('generate')
    .description('Write a private signing key (mode 0600) and its public JWKS for spec.attribution.issuers')
    .option('-o, --out <dir>', 'folder to write into', '.')
    .option('--alg <alg>', `signature algorithm: ${DELEGATION_ALGORITHMS.join(', ')}`, 'ES256')
    .option('--kid <id>', 'key id (default: derived from the algorithm and a random suffix)')
    .addHelpText(
      'after',
      '\nWrites <kid>.private.jwk.json (keep it secret) and <kid>.jwks.json (put it in the fleet); never overwrites.\nExit codes: 0 written; 2 usage or bad input.',
    )
    .action(async (flags: KeysFlags) => (await import('./delegate-actions')).generateKeys(flags));
}
