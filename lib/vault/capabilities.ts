/**
 * Vault policy capabilities. The list is Vault's own, less `subscribe` and `recover` (Vault-only: the
 * pinned OpenBao 2.7.2 rejects a policy naming them) and OpenBao's `scan` (unknown to Vault), so every
 * policy agentguard emits loads on both servers.
 */
export const CAPABILITIES = ['create', 'read', 'update', 'patch', 'delete', 'list', 'sudo', 'deny'] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** Capabilities that change data at a path. */
export const WRITE_CAPABILITIES: readonly Capability[] = ['create', 'update', 'patch', 'delete'];

export function isCapability(value: unknown): value is Capability {
  return typeof value === 'string' && (CAPABILITIES as readonly string[]).includes(value);
}
