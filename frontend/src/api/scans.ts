// Tools, scan configurations, scans and their live status.
import { http, requestRaw } from './client'
import type {
  Page,
  Scan,
  ScanConfiguration,
  ScanCompare,
  ScanConfigurationInput,
  ScanDetail,
  ScanLiveStatus,
  ScanToolResult,
  Tool,
  ToolPresets,
} from './types'

export const listTools = () => http.get<Page<Tool>>('/tools/', { page_size: 500 })
export const getToolPresets = () => http.get<ToolPresets>('/tools/presets/')
export const setToolEnabled = (id: number, enabled: boolean) =>
  http.patch<Tool>(`/tools/${id}/`, { enabled })

const configs = (projectId: number) => `/projects/${projectId}/scan-configurations/`

export const listConfigurations = (projectId: number) =>
  http.get<Page<ScanConfiguration>>(configs(projectId), { page_size: 500 })
export const getConfiguration = (projectId: number, id: number) =>
  http.get<ScanConfiguration>(`${configs(projectId)}${id}/`)
export const createConfiguration = (projectId: number, body: ScanConfigurationInput) =>
  http.post<ScanConfiguration>(configs(projectId), body)
export const updateConfiguration = (projectId: number, id: number, body: Partial<ScanConfigurationInput>) =>
  http.patch<ScanConfiguration>(`${configs(projectId)}${id}/`, body)
export const deleteConfiguration = (projectId: number, id: number) =>
  http.delete(`${configs(projectId)}${id}/`)
export const cloneConfiguration = (projectId: number, id: number, name?: string) =>
  http.post<ScanConfiguration>(`${configs(projectId)}${id}/clone/`, name ? { name } : {})
export const startScan = (projectId: number, configurationId: number) =>
  http.post<ScanDetail>(`${configs(projectId)}${configurationId}/start/`)

export const listScans = (query: Record<string, string | number | undefined> = {}) =>
  http.get<Page<Scan>>('/scans/', query)
export const listProjectScans = (projectId: number, query: Record<string, string | number | undefined> = {}) =>
  http.get<Page<Scan>>(`/projects/${projectId}/scans/`, query)
export const getScan = (id: number) => http.get<ScanDetail>(`/scans/${id}/`)
export const cancelScan = (id: number) => http.post<ScanDetail>(`/scans/${id}/cancel/`)
export const rescan = (id: number) => http.post<ScanDetail>(`/scans/${id}/rescan/`)
export const listToolResults = (id: number) => http.get<ScanToolResult[]>(`/scans/${id}/tool-results/`)
export const rawOutputUrl = (scanId: number, resultId: number) =>
  `/api/v1/scans/${scanId}/tool-results/${resultId}/raw/`
export const getRawOutput = (scanId: number, resultId: number) =>
  http.get<string>(`/scans/${scanId}/tool-results/${resultId}/raw/`)

/** Compare a scan with `base` (a ref name, or a scan id); no base = the default branch. */
export const compareScan = (id: number, base?: string) =>
  http.get<ScanCompare>(`/scans/${id}/compare/`, { base })

/** The live status; `null` when unchanged since `etag` (304). */
export async function getScanLiveStatus(
  id: number,
  etag?: string,
): Promise<{ status: ScanLiveStatus | null; etag: string | undefined }> {
  const response = await requestRaw<ScanLiveStatus>('GET', `/scans/${id}/status/`, {
    headers: etag ? { 'If-None-Match': etag } : {},
  })
  return {
    status: response.status === 304 ? null : response.data,
    etag: response.headers.get('ETag') ?? etag,
  }
}
