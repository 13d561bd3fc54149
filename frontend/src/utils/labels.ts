// Human labels for the API's enums, and severity presentation that never relies on colour alone.
import type { AssetType, DismissalReason, FindingStatus, ScanStatus, ScanTrigger, Severity, ToolResultStatus } from '@/api/types'

export const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low', 'informational', 'unknown']

export const SEVERITY_LABEL: Record<Severity, string> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  informational: 'Info',
  unknown: 'Unknown',
}

/** A short text marker shown next to the colour, so severity reads without colour. */
export const SEVERITY_MARK: Record<Severity, string> = {
  critical: '!!!',
  high: '!!',
  medium: '!',
  low: '·',
  informational: 'i',
  unknown: '?',
}

export const SEVERITY_COLOR: Record<Severity, string> = {
  critical: '#8e1b1b',
  high: '#d03050',
  medium: '#c26d00',
  low: '#2f6fb7',
  informational: '#5a6470',
  unknown: '#7a7a7a',
}

export const FINDING_STATUSES: FindingStatus[] = [
  'new',
  'confirmed',
  'reopened',
  'false_positive',
  'accepted_risk',
  'resolved',
  'auto_resolved',
]

export const FINDING_STATUS_LABEL: Record<FindingStatus, string> = {
  new: 'New',
  confirmed: 'Confirmed',
  false_positive: 'False positive',
  accepted_risk: 'Accepted risk',
  resolved: 'Resolved',
  auto_resolved: 'Auto-resolved',
  reopened: 'Reopened',
}

/** Statuses a finding is open in (what the dashboard counts, with the default branch). */
export const OPEN_STATUSES: FindingStatus[] = ['new', 'confirmed', 'reopened']

export const DISMISSAL_REASONS: DismissalReason[] = ['false_positive', 'used_in_tests', 'wont_fix', 'accepted_risk']
/** Dismissal in the words people use; each stands for a closed status (see the README). */
export const DISMISSAL_REASON_LABEL: Record<DismissalReason, string> = {
  false_positive: 'False positive',
  used_in_tests: 'Used in tests',
  wont_fix: "Won't fix",
  accepted_risk: 'Accepted risk',
}

/** Open and past its due date (a date in the viewer's own calendar; `today` for tests). */
export function isOverdue(finding: { status: FindingStatus; due_date?: string | null }, today: Date = new Date()): boolean {
  if (!finding.due_date || !OPEN_STATUSES.includes(finding.status)) return false
  const day = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`
  return finding.due_date < day
}

/** Statuses a person must justify with a reason. */
export const STATUSES_NEEDING_REASON: FindingStatus[] = ['false_positive', 'accepted_risk']

export const SCAN_STATUS_LABEL: Record<ScanStatus, string> = {
  pending: 'Pending',
  queued: 'Queued',
  running: 'Running',
  completed: 'Completed',
  completed_with_errors: 'Completed with errors',
  failed: 'Failed',
  error: 'Error',
  cancelled: 'Cancelled',
}

export const SCAN_TRIGGER_LABEL: Record<ScanTrigger, string> = {
  manual: 'Manual',
  scheduled: 'Scheduled',
  api: 'API',
  webhook: 'Webhook',
  import: 'Import',
}

export const SCAN_FINAL: ScanStatus[] = ['completed', 'completed_with_errors', 'failed', 'error', 'cancelled']

export const TOOL_RESULT_LABEL: Record<ToolResultStatus, string> = {
  pending: 'Pending',
  running: 'Running',
  completed: 'Completed',
  no_findings: 'No findings',
  partial: 'Partial',
  failed: 'Failed',
  timed_out: 'Timed out',
  skipped: 'Skipped',
  cancelled: 'Cancelled',
}

export const TOOL_RESULT_FINAL: ToolResultStatus[] = [
  'completed',
  'no_findings',
  'partial',
  'failed',
  'timed_out',
  'skipped',
  'cancelled',
]

export const ASSET_TYPE_LABEL: Record<AssetType, string> = {
  git_repository: 'Git repository',
  codebase_path: 'Local codebase path',
  url: 'URL',
  container_image: 'Container image',
  file_upload: 'Uploaded archive',
  ip_range: 'IP address or range',
  domain: 'Domain',
}

export type TagType = 'default' | 'success' | 'info' | 'warning' | 'error'

export function statusTagType(status: string): TagType {
  if (['completed', 'no_findings', 'resolved', 'auto_resolved', 'ready'].includes(status)) return 'success'
  if (['running', 'queued', 'pending', 'confirmed'].includes(status)) return 'info'
  if (['failed', 'error', 'timed_out', 'new', 'reopened'].includes(status)) return 'error'
  if (['completed_with_errors', 'partial', 'cancelled', 'false_positive', 'accepted_risk'].includes(status)) return 'warning'
  // Skipped: the tool had nothing to look at, which is neither a success nor a problem.
  return 'default'
}

export function formatDate(value?: string | null): string {
  if (!value) return '—'
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString()
}

const DAY_MONTH = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short' })
const DAY_MONTH_YEAR = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' })

/** "3 Nov", or "3 Nov 2025" outside the current year. */
export function formatDay(value?: string | null, now: Date = new Date()): string {
  if (!value) return '—'
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) return value
  return (date.getFullYear() === now.getFullYear() ? DAY_MONTH : DAY_MONTH_YEAR).format(date)
}

const WHOLE = new Intl.NumberFormat('en')

/** A count in words: "1,234" when exact; an estimate (the API's, past 10,000 matches) rounded
 * and said to be one, "about 123,000" or "about 1.2 million". */
export function countText(count: number, exact = true): string {
  if (exact) return WHOLE.format(count)
  if (count < 1_000_000) return `about ${WHOLE.format(Math.round(count / 1000) * 1000)}`
  return `about ${Number((count / 1_000_000).toFixed(1))} million`
}

export function findingsCountText(count: number, exact = true): string {
  return `${countText(count, exact)} ${count === 1 && exact ? 'finding' : 'findings'}`
}

export function formatDuration(ms?: number | null): string {
  if (ms === null || ms === undefined) return '—'
  if (ms < 1000) return `${ms} ms`
  const seconds = ms / 1000
  if (seconds < 60) return `${seconds.toFixed(1)} s`
  const minutes = Math.floor(seconds / 60)
  return `${minutes} min ${Math.round(seconds % 60)} s`
}

/** "src/app.py:10–12", "src/app.py:10" or "src/app.py" ("" without a file). */
export function lineSpan(file: string, start?: number | null, end?: number | null): string {
  if (!file || !start) return file
  return end && end !== start ? `${file}:${start}–${end}` : `${file}:${start}`
}

export function locationOf(finding: {
  file_path?: string
  line_start?: number | null
  url?: string
  parameter?: string
  package_name?: string
  package_version?: string
  image?: string
}): string {
  if (finding.file_path) {
    return finding.line_start ? `${finding.file_path}:${finding.line_start}` : finding.file_path
  }
  if (finding.url) return finding.parameter ? `${finding.url} (${finding.parameter})` : finding.url
  if (finding.package_name) return `${finding.package_name}@${finding.package_version ?? ''}`
  return finding.image ?? ''
}
