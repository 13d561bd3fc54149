// Findings: list with filters, detail, triage one or many, comments, history, sightings.
import { API_BASE, buildQuery, http, type Query } from './client'
import type {
  Dashboard,
  DismissalReason,
  FindingBulkRequest,
  FindingBulkResult,
  FindingDetail,
  FindingEvent,
  FindingOccurrence,
  FindingsExportFormat,
  Health,
  WorkersHealth,
  Page,
  PaginatedFindingList,
  ProjectSla,
  SavedFilter,
  SettableFindingStatus,
  FindingSelection,
  UserSummary,
} from './types'

/** A page of the findings list. Without `page` the API pages by keyset: `next` and `previous`
 * carry an opaque `cursor`. `count` is exact up to 10,000 matches, else an estimate. */
export type FindingsPage = PaginatedFindingList
/** One sighting range: the finding seen at one location by every scan of one stream from
 * `scan` to `last_scan` (`sightings` scans in all). */
export type SightingRange = FindingOccurrence

export const listFindings = (query: Query) => http.get<FindingsPage>('/findings/', query)

/** The cursor a next or previous link of the list carries; none for the first page. */
export function cursorOf(link: string | null | undefined): string | undefined {
  if (!link) return undefined
  return new URL(link, 'http://localhost').searchParams.get('cursor') ?? undefined
}

export const getFinding = (id: number) => http.get<FindingDetail>(`/findings/${id}/`)
export const changeFindingStatus = (id: number, status: SettableFindingStatus, reason = '') =>
  http.post<FindingDetail>(`/findings/${id}/status/`, { status, reason })
/** Dismiss in people's words (the reason picks the status); an accepted risk may end on a day. */
export const dismissFinding = (id: number, dismissal: DismissalReason, reason: string, acceptedUntil?: string | null) =>
  http.post<FindingDetail>(`/findings/${id}/status/`, {
    dismissal_reason: dismissal,
    reason,
    ...(acceptedUntil ? { accepted_until: acceptedUntil } : {}),
  })
export const assignFinding = (id: number, assignee: number | null, dueDate?: string | null) =>
  http.post<FindingDetail>(
    `/findings/${id}/assign/`,
    dueDate === undefined ? { assignee } : { assignee, due_date: dueDate },
  )
export const commentOnFinding = (id: number, comment: string) =>
  http.post<FindingEvent>(`/findings/${id}/comments/`, { comment })
export const listFindingEvents = (id: number) =>
  http.get<Page<FindingEvent>>(`/findings/${id}/events/`, { page_size: 500 })
/** The newest 100 sighting ranges of a finding. */
export const listFindingOccurrences = (id: number) =>
  http.get<Page<SightingRange>>(`/findings/${id}/occurrences/`, { page_size: 100 })
export const bulkTriage = (body: FindingBulkRequest) =>
  http.post<FindingBulkResult>('/findings/bulk/', body)
/** Who the selected findings can be assigned to: members of every project among them. */
export const listBulkAssignees = (selection: FindingSelection) =>
  http.post<UserSummary[]>('/findings/bulk/assignees/', selection)

/** The caller's own saved filters of the findings list. */
export const listSavedFilters = () => http.get<SavedFilter[]>('/saved-filters/')
/** Save (or replace, by name) a query string of the findings list. */
export const saveFilter = (name: string, query: string) => http.post<SavedFilter>('/saved-filters/', { name, query })
export const deleteSavedFilter = (id: number) => http.delete<void>(`/saved-filters/${id}/`)

/** A project's days to fix per severity (null: no due date). */
export const getProjectSla = (projectId: number) => http.get<ProjectSla>(`/projects/${projectId}/sla/`)
export const updateProjectSla = (projectId: number, days: Partial<ProjectSla>) =>
  http.patch<ProjectSla>(`/projects/${projectId}/sla/`, days)

export const FINDINGS_EXPORT_FORMATS: readonly FindingsExportFormat[] = ['csv', 'json', 'sarif']
// Paging is the list's own; an export holds every finding the filters match.
const NOT_EXPORT_PARAMS = new Set(['page', 'page_size', 'cursor', 'format'])

/** The download URL of the findings matching `filters` (and sorted by `ordering`) in `format`:
 * a plain same-origin link, so the session cookie authenticates it and the browser streams it
 * to disk. */
export function findingsExportUrl(filters: Query, format: FindingsExportFormat, ordering?: string): string {
  const query: Query = {}
  for (const [key, value] of Object.entries(filters)) if (!NOT_EXPORT_PARAMS.has(key)) query[key] = value
  if (ordering) query.ordering = ordering
  query.format = format
  return `${API_BASE}/findings/export/${buildQuery(query)}`
}

export const getDashboard = () => http.get<Dashboard>('/dashboard/')
/** Health answers 503 with the same body when something is down: both are read. */
export async function getHealth(): Promise<Health> {
  const response = await fetch('/api/v1/health/', { credentials: 'same-origin' })
  return (await response.json()) as Health
}

/** Staff only: the Celery workers that answer a ping (about a second). */
export const getWorkersHealth = () => http.get<WorkersHealth>('/health/workers/')
