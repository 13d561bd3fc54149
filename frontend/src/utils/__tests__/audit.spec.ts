// Audit log wording: labels and one-line summaries of each kind of event.
import { describe, expect, it } from 'vitest'

import { auditActionLabel, auditSummary } from '@/utils/audit'

describe('audit wording', () => {
  it('labels known actions and passes unknown ones through', () => {
    expect(auditActionLabel('recovery_code_used')).toBe('Recovery code used')
    expect(auditActionLabel('something_new')).toBe('something_new')
  })

  it('summarises the detail of each kind of event', () => {
    expect(auditSummary({ action: 'sign_in', detail: { method: 'password', mfa: 'totp' } })).toBe('password with authenticator app')
    expect(auditSummary({ action: 'sign_in_failed', detail: { method: 'password', reason: 'invalid_credentials' } })).toBe('password: invalid credentials')
    expect(auditSummary({ action: 'mfa_enrolled', detail: { kind: 'webauthn' } })).toBe('security key')
    expect(auditSummary({ action: 'api_key_created', detail: { name: 'ci', prefix: 'abc123' } })).toBe('ci (abc123…)')
    expect(auditSummary({ action: 'role_changed', detail: { member: 'bob', scope: 'project', old_role: 'member', new_role: null } })).toBe(
      'bob in the project: member → removed',
    )
    expect(auditSummary({ action: 'sso_account_linked', detail: { provider: 'okta' } } as never)).toBe('provider: okta')
  })
})
