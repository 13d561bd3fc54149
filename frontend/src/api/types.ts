// Short names for the API payload types generated from the OpenAPI schema (npm run gen:api).
import type { components, operations } from './schema'

type S = components['schemas']

export type User = S['UserOutput']
export type UserSummary = S['UserSummary']
export type Profile = S['ProfileOutput']
export type NotificationPreferences = S['NotificationPreferences']
// A key limited to one project, with scopes: written out until schema.d.ts is regenerated
// (then these intersections are the generated fields again).
export type ApiKeyScope = 'read' | 'import' | 'scan'
type ApiKeyReach = { readonly project: number | null; readonly project_name: string | null; readonly scopes: ApiKeyScope[] }
export type ApiKey = S['ApiKeyOutput'] & ApiKeyReach
export type ApiKeyCreated = S['ApiKeyCreatedOutput'] & ApiKeyReach
export type ApiKeyCreateInput = S['ApiKeyCreateInputRequest'] & { project?: number | null; scopes?: ApiKeyScope[] }
export type AdminUser = S['AdminUserOutput']
export type Project = S['ProjectOutput']
export type ProjectMember = S['ProjectMemberOutput']
export type Organization = S['OrganizationOutput']
export type OrganizationMember = S['OrganizationMemberOutput']
export type Target = S['TargetOutput']
export type TargetCreate = S['TargetCreateRequest']
export type TargetGroup = S['TargetGroupOutput']
export type Tool = S['ToolOutput']
export type ToolPresets = S['ToolPresetsOutput']
export type ToolPreset = S['ToolPresetOutput']
export type TargetKind = S['TargetKindOutput']
export type ScanConfiguration = S['ScanConfigurationOutput']
export type ScanConfigurationInput = S['ScanConfigurationInputRequest']
export type Scan = S['ScanList']
export type ScanRef = S['ScanRef']
export type PaginatedFindingList = S['PaginatedFindingListList']
export type ScanDetail = S['ScanDetail']
export type ScanCheckout = S['ScanCheckout']
export type ScanToolResult = S['ScanToolResult']
export type ScanLiveStatus = S['ScanLiveStatus']
export type Coverage = S['Coverage']
export type Finding = S['FindingList']
export type FindingsExportFormat = NonNullable<NonNullable<operations['findings_export']['parameters']['query']>['format']>
export type FindingDetail = S['FindingDetail']
export type FindingEvent = S['FindingEvent']
export type FindingOccurrence = S['FindingOccurrence']
export type FindingBulkRequest = S['FindingBulkRequest']
export type FindingBulkResult = S['FindingBulkResult']
// `any_project` has a server-side default (false); the generated type marks it required.
export type FindingSelection = Omit<S['FindingAssigneesRequest'], 'any_project'> & { any_project?: boolean }
export type SavedFilter = S['SavedFilter']
export type ProjectSla = S['ProjectSla']
export type Dashboard = S['DashboardOutput']
export type ImportFormat = S['ImportFormat']
export type ScanCompare = S['ScanCompare']
export type ComparedScan = S['ComparedScan']
export type Health = S['Health']
export type WorkersHealth = S['WorkersHealth']

export type Severity = S['SeverityEnum']
export type FindingStatus = S['FindingStatusEnum']
export type SettableFindingStatus = S['SettableFindingStatusEnum']
export type DismissalReason = S['DismissalReasonEnum']
export type ScanStatus = S['ScanStatusEnum']
export type ScanTrigger = S['ScanTriggerEnum']
export type ToolResultStatus = S['ToolResultStatusEnum']
export type AssetType = S['AssetTypeEnum']
export type ProjectRole = S['RoleEnum']
export type OrganizationRole = S['OrganizationRoleEnum']
export type ScheduleType = S['ScheduleTypeEnum']

export interface Page<T> {
  count: number
  next?: string | null
  previous?: string | null
  results: T[]
}
export type IssueGroup = S['IssueGroup']
export type PaginatedIssueGroupList = S['PaginatedIssueGroupList']
export type IssueGroupTriageRequest = S['IssueGroupTriageRequest']
export type IssueGroupTriageResult = S['IssueGroupTriageResult']
export type WebhookFormat = S['WebhookFormatEnum']
export type WebhookMessage = S['WebhookMessage']
export type WebhookMessageDetail = S['WebhookMessageDetail']
export type WebhookAttempt = S['WebhookAttempt']
export type Report = S['Report']
export type ReportFormat = S['ReportFormatEnum']
export type ReportStatus = S['ReportStatusEnum']
export type ReportSchedule = S['ReportSchedule']
export type ReportScheduleInput = S['ReportScheduleRequest']
export type ScheduleFrequency = S['FrequencyEnum']
