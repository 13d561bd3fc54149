// Findings: list with filters, detail, triage one or many, comments, history, sightings.
import { http, type Query } from './client'
import type {
  Dashboard,
  Finding,
  FindingBulkRequest,
  FindingBulkResult,
  FindingDetail,
  FindingEvent,
  FindingOccurrence,
  Health,
  WorkersHealth,
  Page,
  SettableFindingStatus,
} from './types'

export const listFindings = (query: Query) => http.get<Page<Finding>>('/findings/', query)
export const getFinding = (id: number) => http.get<FindingDetail>(`/findings/${id}/`)
export const changeFindingStatus = (id: number, status: SettableFindingStatus, reason = '') =>
  http.post<FindingDetail>(`/findings/${id}/status/`, { status, reason })
export const assignFinding = (id: number, assignee: number | null, dueDate?: string | null) =>
  http.post<FindingDetail>(
    `/findings/${id}/assign/`,
    dueDate === undefined ? { assignee } : { assignee, due_date: dueDate },
  )
export const commentOnFinding = (id: number, comment: string) =>
  http.post<FindingEvent>(`/findings/${id}/comments/`, { comment })
export const listFindingEvents = (id: number) =>
  http.get<Page<FindingEvent>>(`/findings/${id}/events/`, { page_size: 500 })
export const listFindingOccurrences = (id: number) =>
  http.get<Page<FindingOccurrence>>(`/findings/${id}/occurrences/`, { page_size: 100 })
export const bulkTriage = (body: FindingBulkRequest) =>
  http.post<FindingBulkResult>('/findings/bulk/', body)

export const getDashboard = () => http.get<Dashboard>('/dashboard/')
/** Health answers 503 with the same body when something is down: both are read. */
export async function getHealth(): Promise<Health> {
  const response = await fetch('/api/v1/health/', { credentials: 'same-origin' })
  return (await response.json()) as Health
}

/** Staff only: the Celery workers that answer a ping (about a second). */
export const getWorkersHealth = () => http.get<WorkersHealth>('/health/workers/')
