// Security metrics over time: across the caller's projects, or one project's.
import { http } from './client'
import type { components } from './schema'

type S = components['schemas']

export type Metrics = S['MetricsOutput']
export type MetricsQuery = { from?: string; to?: string; coverage_days?: number }

/** Metrics of every visible project (`projectId` undefined) or of one project. */
export const getMetrics = (query: MetricsQuery, projectId?: number) =>
  http.get<Metrics>(projectId === undefined ? '/metrics/' : `/projects/${projectId}/metrics/`, query)
