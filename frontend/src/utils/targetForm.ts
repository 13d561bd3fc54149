// The target form's model: what each asset type asks for, a form prefilled from a target, and
// the PATCH body holding only what the user changed.
import type { components } from '@/api/schema'
import type { AssetType, Target } from '@/api/types'

export type TargetUpdate = components['schemas']['PatchedTargetUpdateRequest']

export interface TargetTypeSpec {
  identifier?: { label: string; placeholder: string; help: string }
  git?: boolean
  paths?: boolean
  upload?: boolean
}

/** Source code has branches: these types take a default branch. */
export function takesDefaultBranch(assetType: AssetType): boolean {
  return !!TARGET_SPECS[assetType].paths
}

export const TARGET_SPECS: Record<AssetType, TargetTypeSpec> = {
  git_repository: { identifier: { label: 'Repository URL', placeholder: 'https://github.com/org/app.git', help: 'https://, ssh:// or git@host:path.' }, git: true, paths: true },
  codebase_path: { identifier: { label: 'Absolute path on the worker', placeholder: '/srv/code/app', help: 'Must be under a root the administrator allowed.' }, paths: true },
  file_upload: { upload: true, paths: true },
  url: { identifier: { label: 'URL', placeholder: 'https://app.example.com/', help: 'http(s) URL allowed by the scan policy.' } },
  container_image: { identifier: { label: 'Image reference', placeholder: 'registry.example.com/app:1.2', help: 'Name with tag or digest.' } },
  ip_range: { identifier: { label: 'Address or CIDR range', placeholder: '10.0.0.0/28', help: 'One address or a CIDR block.' } },
  domain: { identifier: { label: 'Domain name', placeholder: 'example.com', help: 'A host or domain name.' } },
}

/** What a git target checks out: the remote's default branch, or one branch, tag or commit. */
export type GitRefType = 'default' | 'branch' | 'tag' | 'commit'
export type CredentialKind = 'https_token' | 'ssh_key'

export const GIT_REF_OPTIONS: { value: GitRefType; label: string; placeholder: string }[] = [
  { value: 'default', label: 'Default branch', placeholder: '' },
  { value: 'branch', label: 'Branch', placeholder: 'main' },
  { value: 'tag', label: 'Tag', placeholder: 'v1.2.0' },
  { value: 'commit', label: 'Commit', placeholder: 'full 40-character hash' },
]

export interface TargetForm {
  name: string
  asset_type: AssetType
  identifier: string
  description: string
  ref_type: GitRefType
  ref: string
  /** "" = the branch the target checks out, else main. */
  default_branch: string
  include_paths: string[]
  exclude_paths: string[]
  /** Where findings' files link to on a code host other than GitHub, GitLab.com, Bitbucket. */
  source_url_template: string
  is_active: boolean
  /** Write-only: a typed secret is sent once; the API never returns it. */
  credential_kind: CredentialKind
  credential_secret: string
  credential_username: string
  remove_credential: boolean
}

export function emptyTargetForm(): TargetForm {
  return {
    name: '',
    asset_type: 'git_repository',
    identifier: '',
    description: '',
    ref_type: 'default',
    ref: '',
    default_branch: '',
    include_paths: [],
    exclude_paths: [],
    source_url_template: '',
    is_active: true,
    credential_kind: 'https_token',
    credential_secret: '',
    credential_username: '',
    remove_credential: false,
  }
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
}

/** The form prefilled from a stored target. The credential's secret is never returned by the
 * API, so only its kind is prefilled; the secret field stays empty ("keep the stored one"). */
export function targetFormFrom(target: Target): TargetForm {
  const metadata = (target.metadata ?? {}) as Record<string, unknown>
  // A target stored before refs were exclusive may hold a branch and a commit: the commit wins.
  const refType = (['commit', 'tag', 'branch'] as const).find((key) => typeof metadata[key] === 'string' && metadata[key])
  return {
    name: target.name,
    asset_type: target.asset_type,
    identifier: target.identifier,
    description: target.description,
    ref_type: refType ?? 'default',
    ref: refType ? String(metadata[refType]) : '',
    default_branch: target.default_branch ?? '',
    include_paths: stringList(metadata.include_paths),
    exclude_paths: stringList(metadata.exclude_paths),
    source_url_template: typeof metadata.source_url_template === 'string' ? metadata.source_url_template : '',
    is_active: target.is_active,
    credential_kind: target.credential_kind === 'ssh_key' ? 'ssh_key' : 'https_token',
    credential_secret: '',
    credential_username: '',
    remove_credential: false,
  }
}

/** The credential fields to send: a new secret sets it, `remove_credential` removes it. */
export function credentialChanges(form: TargetForm): TargetUpdate {
  if (!TARGET_SPECS[form.asset_type].git) return {}
  if (form.credential_secret) {
    const changes: TargetUpdate = { credential_kind: form.credential_kind, credential_secret: form.credential_secret }
    if (form.credential_kind === 'https_token' && form.credential_username.trim()) changes.credential_username = form.credential_username.trim()
    return changes
  }
  return form.remove_credential ? { credential_kind: '' } : {}
}

/** The metadata the form describes, with only the options its asset type takes. */
export function targetMetadata(form: TargetForm): Record<string, unknown> {
  const spec = TARGET_SPECS[form.asset_type]
  const out: Record<string, unknown> = {}
  if (spec.git && form.ref_type !== 'default' && form.ref.trim()) out[form.ref_type] = form.ref.trim()
  if (spec.git && form.source_url_template.trim()) out.source_url_template = form.source_url_template.trim()
  if (spec.paths) {
    if (form.include_paths.length) out.include_paths = form.include_paths
    if (form.exclude_paths.length) out.exclude_paths = form.exclude_paths
  }
  return out
}

/** JSON with sorted keys, so two metadata objects compare by content. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`
  }
  return JSON.stringify(value ?? null)
}

/** Only the fields the user changed. The asset type is fixed once created and never sent;
 * metadata is sent whole when any option changed, since the API replaces it; a file_upload
 * target's identifier comes from its archive, so it is not sent either. */
export function targetChanges(target: Target, form: TargetForm): TargetUpdate {
  const changes: TargetUpdate = {}
  if (form.name !== target.name) changes.name = form.name
  if (form.description !== target.description) changes.description = form.description
  if (TARGET_SPECS[target.asset_type].identifier && form.identifier.trim() !== target.identifier) {
    changes.identifier = form.identifier.trim()
  }
  const metadata = targetMetadata({ ...form, asset_type: target.asset_type })
  if (canonical(metadata) !== canonical(targetMetadata(targetFormFrom(target)))) changes.metadata = metadata
  if (form.is_active !== target.is_active) changes.is_active = form.is_active
  if (form.default_branch.trim() !== (target.default_branch ?? '')) changes.default_branch = form.default_branch.trim()
  return { ...changes, ...credentialChanges({ ...form, asset_type: target.asset_type }) }
}

/** A PATCH with a new archive goes as multipart: the changed fields, metadata as JSON. */
export function targetChangesAsFormData(changes: TargetUpdate, upload: File): FormData {
  const body = new FormData()
  for (const [key, value] of Object.entries(changes)) {
    if (key === 'upload' || value === undefined) continue
    body.set(key, key === 'metadata' ? JSON.stringify(value) : String(value))
  }
  body.set('upload', upload)
  return body
}
