// Words for the audit log: action labels and a one-line summary of an event's detail.
import type { AuditAction, AuditEvent } from '@/api/audit'

export const AUDIT_ACTION_LABELS: Record<AuditAction, string> = {
  sign_in: 'Signed in',
  sign_in_failed: 'Sign-in failed',
  sign_out: 'Signed out',
  mfa_challenge_failed: 'Second factor refused',
  mfa_enrolled: 'Second factor added',
  mfa_removed: 'Second factor removed',
  recovery_code_used: 'Recovery code used',
  recovery_codes_regenerated: 'Recovery codes regenerated',
  api_key_created: 'API key created',
  api_key_revoked: 'API key revoked',
  role_changed: 'Role changed',
  organization_policy_changed: 'Organization policy changed',
  sso_sign_in: 'Signed in with SSO',
  sso_sign_in_failed: 'SSO sign-in failed',
  sso_account_linked: 'SSO account linked',
}

export function auditActionLabel(action: string): string {
  return AUDIT_ACTION_LABELS[action as AuditAction] ?? action
}

const FACTOR_LABELS: Record<string, string> = { totp: 'authenticator app', webauthn: 'security key', recovery_code: 'recovery code' }

/** What happened, in a few words, from the event's detail. */
export function auditSummary(event: Pick<AuditEvent, 'action' | 'detail'>): string {
  const detail = (event.detail ?? {}) as Record<string, unknown>
  const text = (value: unknown) => (value === null || value === undefined ? '' : String(value))
  switch (event.action) {
    case 'sign_in':
    case 'sso_sign_in':
      return [text(detail.method), detail.mfa ? `with ${FACTOR_LABELS[text(detail.mfa)] ?? text(detail.mfa)}` : ''].filter(Boolean).join(' ')
    case 'sign_in_failed':
    case 'sso_sign_in_failed':
      return [text(detail.method), text(detail.reason).replace(/_/g, ' ')].filter(Boolean).join(': ')
    case 'mfa_enrolled':
    case 'mfa_removed':
    case 'mfa_challenge_failed':
      return FACTOR_LABELS[text(detail.kind ?? detail.method)] ?? text(detail.kind ?? detail.method)
    case 'recovery_code_used':
      return detail.left !== undefined ? `${text(detail.left)} left` : ''
    case 'api_key_created':
    case 'api_key_revoked':
      return [text(detail.name), detail.prefix ? `(${text(detail.prefix)}…)` : ''].filter(Boolean).join(' ')
    case 'role_changed':
      return `${text(detail.member)} in the ${text(detail.scope)}: ${text(detail.old_role) || 'none'} → ${text(detail.new_role) || 'removed'}`
    case 'organization_policy_changed':
      return detail.require_mfa ? 'two-factor authentication required' : 'two-factor authentication optional'
    default:
      return Object.entries(detail)
        .map(([key, value]) => `${key}: ${typeof value === 'object' ? JSON.stringify(value) : text(value)}`)
        .join(', ')
  }
}
