// The import form: what must be filled before an upload, and the format a file name points to.
import { describe, expect, it } from 'vitest'

import type { ImportFormat } from '@/api/imports'
import { IMPORT_TARGET_TYPES, NEW_TARGET, codeSpans, emptyImportForm, formatBytes, guessFormat, importInput } from '@/utils/importForm'

const format = (id: string): ImportFormat => ({ id, name: id, tool: id, media: 'JSON', description: '' })
const FORMATS = ['semgrep', 'bandit', 'trivy', 'zap', 'sarif', 'generic'].map(format)

describe('importInput', () => {
  it('names every missing field as the API names it', () => {
    expect(importInput(emptyImportForm())).toEqual({
      errors: {
        file: 'Choose the report file, or drop it on the area.',
        format: 'Choose the format of the report.',
        target: 'Choose a target, or “New target”.',
      },
    })
    const empty = { ...emptyImportForm(), file: new File([], 'x.json'), format: 'semgrep', target: NEW_TARGET }
    expect(importInput(empty)).toEqual({
      errors: { file: 'This file is empty.', target_name: 'Name the new target.', target_identifier: 'Required for a new target.' },
    })
  })

  it('checks the commit is 7 to 64 hex digits, when given', () => {
    const form = { ...emptyImportForm(), file: new File(['{}'], 'r.json'), format: 'semgrep', target: 3 }
    expect(importInput({ ...form, commit: 'xyz' })).toEqual({ errors: { commit: 'Enter 7 to 64 hexadecimal digits.' } })
    expect('input' in importInput({ ...form, commit: 'ABCDEF1' })).toBe(true)
    expect('input' in importInput({ ...form, commit: '' })).toBe(true)
  })

  it('builds the upload for a new target', () => {
    const file = new File(['{}'], 'r.json')
    const form = { ...emptyImportForm(), file, format: 'generic', target: NEW_TARGET, targetName: 'api', targetType: 'url' as const, targetIdentifier: 'https://api.example.com/', ref: 'main' }
    expect(importInput(form)).toEqual({
      input: { file, format: 'generic', target: { kind: 'new', name: 'api', type: 'url', identifier: 'https://api.example.com/' }, ref: 'main', commit: '', toolVersion: '' },
    })
  })

  it('creates no uploaded-archive target (it needs its archive first)', () => {
    expect(IMPORT_TARGET_TYPES).toContain('git_repository')
    expect(IMPORT_TARGET_TYPES).toContain('url')
    expect(IMPORT_TARGET_TYPES).not.toContain('file_upload')
  })
})

describe('guessFormat', () => {
  it('reads SARIF from the extension and a tool from a word of the name', () => {
    expect(guessFormat('results.sarif', FORMATS)).toBe('sarif')
    expect(guessFormat('codeql.sarif.json', FORMATS)).toBe('sarif')
    expect(guessFormat('semgrep-report.json', FORMATS)).toBe('semgrep')
    expect(guessFormat('Trivy_results.JSON', FORMATS)).toBe('trivy')
  })

  it('guesses nothing from a name that does not say, nor from a tool name inside a word', () => {
    expect(guessFormat('report.json', FORMATS)).toBeNull()
    expect(guessFormat('zapata.json', FORMATS)).toBeNull()
    expect(guessFormat('generic.json', FORMATS)).toBeNull()
  })
})

describe('codeSpans', () => {
  it('marks what is between backticks as code', () => {
    expect(codeSpans('Output of `semgrep --json`.')).toEqual([
      { text: 'Output of ', code: false },
      { text: 'semgrep --json', code: true },
      { text: '.', code: false },
    ])
    expect(codeSpans('Plain.')).toEqual([{ text: 'Plain.', code: false }])
  })
})

describe('formatBytes', () => {
  it('uses the largest fitting unit', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1536)).toBe('1.5 KB')
    expect(formatBytes(27 * 1024 * 1024)).toBe('27 MB')
  })
})
