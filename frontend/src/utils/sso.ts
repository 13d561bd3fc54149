// What the sign-in and profile pages say for each `?sso_error=` code the backend sends back
// (apps/sso/errors.py has the same list), and where each sign-in outcome goes next.

export const SSO_ERROR_MESSAGES: Record<string, string> = {
  failed: 'Single sign-on failed. Try again or ask your administrator.',
  cancelled: 'Single sign-on was cancelled.',
  invalid_response: "The identity provider's answer did not pass our checks.",
  replayed: 'This sign-in response was already used. Start again.',
  email_missing: 'The identity provider did not send an e-mail address.',
  email_unverified:
    'An account with this e-mail address exists, but the identity provider does not vouch for the address. Sign in with your password and connect the provider from your profile.',
  domain_not_allowed: 'Accounts from this e-mail domain may not sign in here.',
  no_account: 'You need an invitation before you can sign in here.',
  inactive: 'This account is deactivated.',
  already_linked: 'This identity is already connected to another account.',
  start_expired: 'The sign-in link expired. Start again.',
}

/** The message for an `sso_error` query value; unknown codes get the generic one. */
export function ssoErrorMessage(code: unknown): string | null {
  if (typeof code !== 'string' || !code) return null
  return SSO_ERROR_MESSAGES[code] ?? SSO_ERROR_MESSAGES.failed!
}

/** Where the browser goes after the identity provider sent it back (`?sso=done&status=`):
 * the second-factor pages when the sign-in waits for one, else the app. */
export function ssoNextPath(status: unknown): string {
  if (status === 'mfa_required') return '/login/two-factor'
  if (status === 'mfa_enrolment_required') return '/login/two-factor/setup'
  return '/'
}
