// Two-factor authentication: status, enrolment (authenticator app, security key), the sign-in
// challenge, removal and recovery codes. The same calls serve a signed-in session and a sign-in
// still waiting for its second factor.
import { http } from './client'
import type { components } from './schema'

type S = components['schemas']

export type MfaMethod = S['MfaMethodEnum']
export type MfaStatus = S['MfaStatusOutput']
export type SignInStep = S['SignInStepOutput']
export type TotpSetup = S['TotpSetupOutput']
export type WebAuthnCredential = S['WebAuthnCredentialOutput']
/** The current password, or a code from the authenticator app (accounts without a password). */
export type Reauth = { password?: string; code?: string }

const base = '/auth/mfa'
const pending = { ignoreUnauthorized: true }

export const getMfaStatus = () => http.get<MfaStatus>(`${base}/`, undefined, pending)
export const setupTotp = () => http.post<TotpSetup>(`${base}/totp/setup/`, {}, pending)
export const confirmTotp = (code: string) => http.post<SignInStep>(`${base}/totp/confirm/`, { code }, pending)
export const removeTotp = (body: Reauth) => http.post<void>(`${base}/totp/remove/`, body)
export const webauthnRegisterOptions = () =>
  http.post<Record<string, unknown>>(`${base}/webauthn/register/options/`, {}, pending)
export const webauthnRegister = (name: string, credential: Record<string, unknown>) =>
  http.post<SignInStep>(`${base}/webauthn/register/`, { name, credential }, pending)
export const removeWebauthn = (id: number, body: Reauth) => http.post<void>(`${base}/webauthn/${id}/remove/`, body)
export const regenerateRecoveryCodes = (body: Reauth) =>
  http.post<{ recovery_codes: string[] }>(`${base}/recovery-codes/`, body)
export const challengeWebauthnOptions = () =>
  http.post<Record<string, unknown>>(`${base}/challenge/webauthn/options/`, {}, pending)
export const answerChallenge = (body: { method: MfaMethod; code?: string; credential?: Record<string, unknown> }) =>
  http.post<SignInStep>(`${base}/challenge/`, body, pending)
