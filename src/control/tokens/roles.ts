/**
 * What a token may do, decided by the admin API's policy (a later issue):
 * viewer reads; operator proposes changes; approver approves others' changes; automation proposes
 * changes that always wait for a human approver; admin does everything, including token management.
 */
export const TOKEN_ROLES = ['viewer', 'operator', 'approver', 'automation', 'admin'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

export function isTokenRole(value: unknown): value is TokenRole {
  return typeof value === 'string' && (TOKEN_ROLES as readonly string[]).includes(value);
}
