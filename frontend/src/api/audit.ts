// The audit log: security events for staff and organization owners, and its JSON export.
import { API_BASE, buildQuery, http, type Query } from './client'
import type { components } from './schema'
import type { Page } from './types'

type S = components['schemas']

export type AuditEvent = S['AuditEventOutput']
export type AuditAction = S['AuditActionEnum']

export const listAuditEvents = (query: Query) => http.get<Page<AuditEvent>>('/audit-events/', query)

/** The export's URL with the same filters as the list (a download link, not paged). */
export function auditExportUrl(query: Query): string {
  const filters: Query = { ...query }
  delete filters.page
  delete filters.page_size
  return `${API_BASE}/audit-events/export/${buildQuery(filters)}`
}
