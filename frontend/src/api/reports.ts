// Reports of a project or a scan (HTML or PDF, made by the worker), and the schedules that
// e-mail a project's report every week or month.
import { API_BASE, http } from './client'
import type { Page, Report, ReportFormat, ReportSchedule, ReportScheduleInput } from './types'

const reports = (projectId: number) => `/projects/${projectId}/reports/`
const schedules = (projectId: number) => `/projects/${projectId}/report-schedules/`

export const REPORT_FORMATS: readonly ReportFormat[] = ['pdf', 'html']

export const listReports = (projectId: number, page = 1) =>
  http.get<Page<Report>>(reports(projectId), { page, page_size: 20 })
export const requestProjectReport = (projectId: number, format: ReportFormat) =>
  http.post<Report>(reports(projectId), { format })
export const requestScanReport = (scanId: number, format: ReportFormat) =>
  http.post<Report>(`/scans/${scanId}/report/`, { format })
export const getReport = (reportId: number) => http.get<Report>(`/reports/${reportId}/`)
// A plain same-origin link: the session cookie authenticates it and the browser saves the file.
export const reportDownloadUrl = (reportId: number) => `${API_BASE}/reports/${reportId}/download/`

export const listReportSchedules = (projectId: number) => http.get<Page<ReportSchedule>>(schedules(projectId))
export const createReportSchedule = (projectId: number, body: ReportScheduleInput) =>
  http.post<ReportSchedule>(schedules(projectId), body)
export const updateReportSchedule = (projectId: number, id: number, body: Partial<ReportScheduleInput>) =>
  http.patch<ReportSchedule>(`${schedules(projectId)}${id}/`, body)
export const deleteReportSchedule = (projectId: number, id: number) => http.delete(`${schedules(projectId)}${id}/`)
