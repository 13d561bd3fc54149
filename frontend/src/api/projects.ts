// Projects, members, targets and target groups.
import { http } from './client'
import type { Page, Project, ProjectMember, ProjectRole, Target, TargetGroup } from './types'
import type { components } from './schema'

type S = components['schemas']

export const listProjects = (query: Record<string, string | number | undefined> = {}) =>
  http.get<Page<Project>>('/projects/', query)
export const getProject = (id: number) => http.get<Project>(`/projects/${id}/`)
export const createProject = (body: S['ProjectCreateRequest']) => http.post<Project>('/projects/', body)
export const updateProject = (id: number, body: S['PatchedProjectUpdateRequest']) =>
  http.patch<Project>(`/projects/${id}/`, body)
export const deleteProject = (id: number) => http.delete(`/projects/${id}/`)

export const listMembers = (projectId: number) =>
  http.get<Page<ProjectMember>>(`/projects/${projectId}/members/`, { page_size: 500 })
/** Invite by email: the address gets a link, and its account joins on accepting it. The answer
 * is the same whether or not the address has an account. */
export const inviteMember = (projectId: number, body: { email: string; role: ProjectRole }) =>
  http.post<S['InvitationSent']>(`/projects/${projectId}/members/`, body)
export const acceptProjectInvitation = (token: string) =>
  http.post<S['ProjectInvitationAccepted']>('/projects/invitations/accept/', { token })
export const updateMember = (projectId: number, id: number, role: ProjectRole) =>
  http.patch<ProjectMember>(`/projects/${projectId}/members/${id}/`, { role })
export const removeMember = (projectId: number, id: number) =>
  http.delete(`/projects/${projectId}/members/${id}/`)

export const listTargets = (projectId: number, query: Record<string, string | number | undefined> = {}) =>
  http.get<Page<Target>>(`/projects/${projectId}/targets/`, { page_size: 500, ...query })
/** JSON for most types; multipart (FormData) for an uploaded archive. */
export const createTarget = (projectId: number, body: S['TargetCreateRequest'] | FormData) =>
  http.post<Target>(`/projects/${projectId}/targets/`, body)
/** Only the fields to change; multipart (FormData) when it carries a new archive. */
export const updateTarget = (projectId: number, id: number, body: S['PatchedTargetUpdateRequest'] | FormData) =>
  http.patch<Target>(`/projects/${projectId}/targets/${id}/`, body)
export const deleteTarget = (projectId: number, id: number) =>
  http.delete(`/projects/${projectId}/targets/${id}/`)

export const listTargetGroups = (projectId: number) =>
  http.get<Page<TargetGroup>>(`/projects/${projectId}/target-groups/`, { page_size: 500 })
export const createTargetGroup = (projectId: number, body: S['TargetGroupCreateRequest']) =>
  http.post<TargetGroup>(`/projects/${projectId}/target-groups/`, body)
export const updateTargetGroup = (
  projectId: number,
  id: number,
  body: S['PatchedTargetGroupUpdateRequest'],
) => http.patch<TargetGroup>(`/projects/${projectId}/target-groups/${id}/`, body)
export const deleteTargetGroup = (projectId: number, id: number) =>
  http.delete(`/projects/${projectId}/target-groups/${id}/`)
