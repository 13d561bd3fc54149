// The import form's model: its fields, what must be filled before uploading, and a format
// guessed from the file's name so the common cases need one click less.
import type { ImportFormat, ImportInput } from '@/api/imports'
import type { AssetType } from '@/api/types'
import { TARGET_SPECS } from '@/utils/targetForm'

export const NEW_TARGET = 'new' as const

/** Types an import can create a target of: an uploaded archive is created with its archive on
 * the targets page first. */
export const IMPORT_TARGET_TYPES = (Object.keys(TARGET_SPECS) as AssetType[]).filter((type) => !TARGET_SPECS[type].upload)

export interface ImportForm {
  file: File | null
  format: string | null
  /** An existing target's id, NEW_TARGET, or nothing chosen yet. */
  target: number | typeof NEW_TARGET | null
  targetName: string
  targetType: AssetType
  targetIdentifier: string
  ref: string
  commit: string
  toolVersion: string
}

export function emptyImportForm(): ImportForm {
  return {
    file: null,
    format: null,
    target: null,
    targetName: '',
    targetType: 'git_repository',
    targetIdentifier: '',
    ref: '',
    commit: '',
    toolVersion: '',
  }
}

/** The field errors (named as the API names them) that stop the upload, or the input to send. */
export function importInput(form: ImportForm): { errors: Record<string, string> } | { input: ImportInput } {
  const errors: Record<string, string> = {}
  if (!form.file) errors.file = 'Choose the report file, or drop it on the area.'
  else if (form.file.size === 0) errors.file = 'This file is empty.'
  if (!form.format) errors.format = 'Choose the format of the report.'
  if (form.target === null) errors.target = 'Choose a target, or “New target”.'
  else if (form.target === NEW_TARGET) {
    if (!form.targetName.trim()) errors.target_name = 'Name the new target.'
    if (TARGET_SPECS[form.targetType].identifier && !form.targetIdentifier.trim()) {
      errors.target_identifier = 'Required for a new target.'
    }
  }
  if (form.commit.trim() && !/^[0-9a-fA-F]{7,64}$/.test(form.commit.trim())) errors.commit = 'Enter 7 to 64 hexadecimal digits.'
  if (Object.keys(errors).length || !form.file || !form.format || form.target === null) return { errors }
  return {
    input: {
      file: form.file,
      format: form.format,
      target:
        form.target === NEW_TARGET
          ? { kind: 'new', name: form.targetName, type: form.targetType, identifier: form.targetIdentifier }
          : { kind: 'existing', id: form.target },
      ref: form.ref,
      commit: form.commit,
      toolVersion: form.toolVersion,
    },
  }
}

/** A format the file's name points to: `.sarif` → SARIF; a name containing a format's id as a
 * word (`semgrep-report.json`, `trivy_results.json`) → that format; otherwise none. */
export function guessFormat(fileName: string, formats: ImportFormat[]): string | null {
  const name = fileName.toLowerCase()
  if (/\.sarif(\.json)?$/.test(name) && formats.some((f) => f.id === 'sarif')) return 'sarif'
  const words = new Set(name.split(/[^a-z0-9]+/).filter(Boolean))
  // Longest id first, so "zap-baseline" would win over "zap" if both existed.
  const byLength = [...formats].sort((a, b) => b.id.length - a.id.length)
  for (const format of byLength) {
    if (format.id === 'generic' || format.id === 'sarif') continue
    const parts = format.id.toLowerCase().split(/[^a-z0-9]+/)
    if (parts.every((part) => words.has(part))) return format.id
  }
  return null
}

/** A format's description in parts, `code` marking what was between backticks (commands,
 * JSON), so it can be shown as code. */
export function codeSpans(text: string): Array<{ text: string; code: boolean }> {
  return text
    .split('`')
    .map((part, index) => ({ text: part, code: index % 2 === 1 }))
    .filter((part) => part.text)
}

/** "1.2 MB" and friends. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KB', 'MB', 'GB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}
