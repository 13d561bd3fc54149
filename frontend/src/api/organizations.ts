// Organizations and their members.
import { http } from './client'
import type { Organization, OrganizationMember, OrganizationRole, Page } from './types'
import type { components } from './schema'

type S = components['schemas']

export const listOrganizations = (query: Record<string, string | number | undefined> = {}) =>
  http.get<Page<Organization>>('/organizations/', { page_size: 500, ...query })
export const getOrganization = (id: number) => http.get<Organization>(`/organizations/${id}/`)
export const createOrganization = (body: S['OrganizationCreateRequest']) =>
  http.post<Organization>('/organizations/', body)
export const updateOrganization = (id: number, body: S['PatchedOrganizationUpdateRequest']) =>
  http.patch<Organization>(`/organizations/${id}/`, body)
export const deleteOrganization = (id: number) => http.delete(`/organizations/${id}/`)

const members = (orgId: number) => `/organizations/${orgId}/members/`

export const listOrganizationMembers = (orgId: number) =>
  http.get<Page<OrganizationMember>>(members(orgId), { page_size: 500 })
/** Invite by email: the address gets a link, and its account joins on accepting it. The answer
 * is the same whether or not the address has an account (the API also adds by user id). */
export const inviteOrganizationMember = (orgId: number, body: S['OrganizationMemberCreateRequest']) =>
  http.post<{ detail: string }>(members(orgId), body)
export const acceptOrganizationInvitation = (token: string) =>
  http.post<S['OrganizationInvitationAccepted']>('/organizations/invitations/accept/', { token })
export const updateOrganizationMember = (orgId: number, id: number, role: OrganizationRole) =>
  http.patch<OrganizationMember>(`${members(orgId)}${id}/`, { role })
export const removeOrganizationMember = (orgId: number, id: number) => http.delete(`${members(orgId)}${id}/`)
