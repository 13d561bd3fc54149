// Issue groups: findings of different tools or rules about one problem; list, members, triage.
import { http, type Query } from './client'
import type { FindingsPage } from './findings'
import type { IssueGroupTriageRequest, IssueGroupTriageResult, PaginatedIssueGroupList } from './types'

/** A page of groups, worst first; paged by keyset like the findings list. Filters: project,
 * status (open / closed), severity, tool. */
export const listIssueGroups = (query: Query) => http.get<PaginatedIssueGroupList>('/issue-groups/', query)
/** The findings of one group, worst first. */
export const listIssueGroupFindings = (id: number, query: Query = {}) =>
  http.get<FindingsPage>(`/issue-groups/${id}/findings/`, { page_size: 100, ...query })
/** Triage every member of a group; each member gets its own history event. */
export const triageIssueGroup = (id: number, body: IssueGroupTriageRequest) =>
  http.post<IssueGroupTriageResult>(`/issue-groups/${id}/triage/`, body)
