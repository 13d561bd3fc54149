// Report imports: the formats the server reads, and the upload that turns a report into a scan.
import { http, upload, type ApiResponse } from './client'
import type { AssetType, ImportFormat, ScanDetail } from './types'

export type { ImportFormat }

/** Where an import's findings go: an existing target, or one found or created by name and type. */
export type ImportTarget =
  | { kind: 'existing'; id: number }
  | { kind: 'new'; name: string; type: AssetType; identifier?: string }

export interface ImportInput {
  file: File
  format: string
  target: ImportTarget
  ref?: string
  commit?: string
  toolVersion?: string
}

let formatsCache: Promise<ImportFormat[]> | null = null

/** The import formats; asked once per page load (they change only with a server upgrade). */
export function listImportFormats(): Promise<ImportFormat[]> {
  formatsCache ??= http.get<ImportFormat[]>('/imports/formats/').catch((err: unknown) => {
    formatsCache = null
    throw err
  })
  return formatsCache
}

/** The multipart body of an import: only the fields that are set, trimmed. */
export function importFormData(input: ImportInput): FormData {
  const body = new FormData()
  body.set('file', input.file, input.file.name)
  body.set('format', input.format)
  if (input.target.kind === 'existing') {
    body.set('target', String(input.target.id))
  } else {
    body.set('target_name', input.target.name.trim())
    body.set('target_type', input.target.type)
    if (input.target.identifier?.trim()) body.set('target_identifier', input.target.identifier.trim())
  }
  const optional: Array<[string, string | undefined]> = [
    ['ref', input.ref],
    ['commit', input.commit],
    ['tool_version', input.toolVersion],
  ]
  for (const [name, value] of optional) if (value?.trim()) body.set(name, value.trim())
  return body
}

/** Upload a report; the server answers 202 with the scan that will ingest it. */
export async function importReport(
  projectId: number,
  input: ImportInput,
  options: { onProgress?: (loaded: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<ScanDetail> {
  const response: ApiResponse<ScanDetail> = await upload<ScanDetail>(
    `/projects/${projectId}/imports/`,
    importFormData(input),
    options,
  )
  return response.data
}

/** Test hook: forget the cached formats. */
export function resetImportFormatsCache(): void {
  formatsCache = null
}
