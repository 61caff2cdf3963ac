/** Signature algorithms a delegation may use: asymmetric only, never `none` or HMAC. Kept free of
 * dependencies so the CLI can name them in --help without loading the fleet schema. */
export const DELEGATION_ALGORITHMS = ['ES256', 'EdDSA', 'RS256'] as const;
export type DelegationAlgorithm = (typeof DELEGATION_ALGORITHMS)[number];
