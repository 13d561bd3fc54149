// Single sign-on: the providers for the sign-in page, the start of a sign-in or connect flow
// (the answer is a one-time URL the browser goes to), and the user's connected accounts.
import { http } from './client'
import type { components } from './schema'

type S = components['schemas']
export type SsoProvider = S['SsoProviderOutput']
export type SsoProviders = S['SsoProvidersOutput']
export type SsoConnection = S['SsoConnectionOutput']

export const listSsoProviders = () =>
  http.get<SsoProviders>('/auth/sso/providers/', undefined, { ignoreUnauthorized: true })
export const startSso = (providerId: string, process: 'login' | 'connect') =>
  http.post<S['SsoStartOutput']>(`/auth/sso/providers/${encodeURIComponent(providerId)}/start/`, { process })
export const listSsoConnections = () => http.get<SsoConnection[]>('/auth/sso/connections/')
export const removeSsoConnection = (id: number) => http.delete(`/auth/sso/connections/${id}/`)
