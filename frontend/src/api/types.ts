// Short names for the API payload types generated from the OpenAPI schema (npm run gen:api).
import type { components, operations } from './schema'

type S = components['schemas']

export type User = S['UserOutput']
export type UserSummary = S['UserSummary']
export type Profile = S['ProfileOutput']
export type NotificationPreferences = S['NotificationPreferences']
export type ApiKey = S['ApiKeyOutput']
export type ApiKeyCreated = S['ApiKeyCreatedOutput']
export type AdminUser = S['AdminUserOutput']
export type Project = S['ProjectOutput']
export type ProjectMember = S['ProjectMemberOutput']
export type Organization = S['OrganizationOutput']
export type OrganizationMember = S['OrganizationMemberOutput']
export type Target = S['TargetOutput'] & RefsTargetFields
export type TargetCreate = S['TargetCreateRequest']
export type TargetGroup = S['TargetGroupOutput']
export type Tool = S['ToolOutput']
export type ScanConfiguration = S['ScanConfigurationOutput']
export type ScanConfigurationInput = S['ScanConfigurationInputRequest']
export type Scan = Omit<S['ScanList'], 'trigger'> & ScanRefFields
export type ScanDetail = Omit<S['ScanDetail'], 'trigger' | 'tool_results'> &
  ScanRefFields & { readonly tool_results: ScanToolResult[] }
export type ScanCheckout = S['ScanCheckout']
export type ScanToolResult = S['ScanToolResult'] & ImportToolResultFields
export type ScanLiveStatus = S['ScanLiveStatus']
export type Coverage = S['Coverage']
export type Finding = S['FindingList'] & RefsFindingFields
export type FindingsExportFormat = NonNullable<NonNullable<operations['findings_export']['parameters']['query']>['format']>
export type FindingDetail = S['FindingDetail'] & RefsFindingFields
export type FindingEvent = S['FindingEvent']
export type FindingOccurrence = S['FindingOccurrence']
export type FindingBulkRequest = S['FindingBulkRequest']
export type FindingBulkResult = S['FindingBulkResult']
export type Dashboard = S['DashboardOutput']
export type Health = S['Health']
export type WorkersHealth = S['WorkersHealth']

export type Severity = S['SeverityEnum']
export type FindingStatus = S['FindingStatusEnum']
export type SettableFindingStatus = S['SettableFindingStatusEnum']
export type ScanStatus = S['ScanStatusEnum']
export type ToolResultStatus = S['ToolResultStatusEnum']
export type AssetType = S['AssetTypeEnum']
export type ProjectRole = S['RoleEnum']
export type OrganizationRole = S['OrganizationRoleEnum']
export type ScheduleType = S['ScheduleTypeEnum']

// Issue 11 fields (refs, imports). Written here until backend/schema.yml is regenerated with
// them; the generated types then carry the same fields and these intersections change nothing.
export type ScanTrigger = S['ScanTriggerEnum'] | 'import'
interface ScanRefFields {
  readonly trigger: ScanTrigger
  /** The branch, tag or pull/merge request ref scanned; "" = each target's default branch. */
  readonly ref: string
  readonly commit_sha: string
  /** Whether this scan looked at the default branch (only such scans drive the lifecycle). */
  readonly is_default_branch: boolean
}
interface ImportToolResultFields {
  /** For imports: the format id ("semgrep", "sarif", "generic"…); "" for a run. */
  readonly report_format: string
  /** For imports: the uploaded file's name; "" for a run. */
  readonly report_name: string
}
interface RefsTargetFields {
  /** "" = the branch the target checks out, else main. */
  readonly default_branch: string
}
interface RefsFindingFields {
  /** False while only scans of other refs than the default branch have seen it. */
  readonly on_default_branch: boolean
}

export interface Page<T> {
  count: number
  next?: string | null
  previous?: string | null
  results: T[]
}
