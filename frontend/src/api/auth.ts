// Sign-in, registration, passwords, profile, API keys and (for staff) user administration.
import { http } from './client'
import type { AdminUser, ApiKey, ApiKeyCreated, ApiKeyCreateInput, Page, Profile, User } from './types'
import type { components } from './schema'

type S = components['schemas']

export const getMe = () => http.get<User>('/auth/me/', undefined, { ignoreUnauthorized: true })
export const login = (body: S['LoginInputRequest']) =>
  http.post<S['LoginOutput']>('/auth/login/', body, { ignoreUnauthorized: true })
export const logout = () => http.post<void>('/auth/logout/', undefined, { ignoreUnauthorized: true })
export const register = (body: S['RegisterInputRequest']) => http.post<{ detail: string }>('/auth/register/', body)
export const confirmRegistration = (body: S['RegisterConfirmInputRequest']) =>
  http.post<{ detail: string }>('/auth/register/confirm/', body)
export const requestEmailChange = (body: S['EmailChangeInputRequest']) =>
  http.post<{ detail: string }>('/auth/email/change/', body)
export const confirmEmailChange = (token: string) =>
  http.post<{ detail: string }>('/auth/email/change/confirm/', { token })
export const requestPasswordReset = (email: string) =>
  http.post<{ detail: string }>('/auth/password/reset/', { email })
export const confirmPasswordReset = (body: S['PasswordResetConfirmInputRequest']) =>
  http.post<{ detail: string }>('/auth/password/reset/confirm/', body)
export const changePassword = (body: S['PasswordChangeInputRequest']) =>
  http.post<{ detail: string }>('/auth/password/change/', body)

export const getProfile = () => http.get<Profile>('/auth/profile/')
export const updateProfile = (body: S['PatchedProfileUpdateInputRequest']) =>
  http.patch<Profile>('/auth/profile/', body)

export const listApiKeys = () => http.get<Page<ApiKey>>('/api-keys/', { page_size: 100 })
export const createApiKey = (body: ApiKeyCreateInput) =>
  http.post<ApiKeyCreated>('/api-keys/', body)
export const revokeApiKey = (id: number) => http.delete(`/api-keys/${id}/`)

export const listUsers = (query: Record<string, string | number | undefined>) =>
  http.get<Page<AdminUser>>('/admin/users/', query)
export const inviteUser = (body: S['AdminUserInviteInputRequest']) =>
  http.post<AdminUser>('/admin/users/', body)
export const updateUser = (id: number, body: S['PatchedAdminUserUpdateInputRequest']) =>
  http.patch<AdminUser>(`/admin/users/${id}/`, body)
export const sendUserPasswordReset = (id: number) =>
  http.post<{ detail: string }>(`/admin/users/${id}/password-reset/`)
