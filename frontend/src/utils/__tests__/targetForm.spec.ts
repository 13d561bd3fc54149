// The target form: prefilled from a target, and a PATCH body with only the changed fields.
import { describe, expect, it } from 'vitest'

import type { Target } from '@/api/types'
import { emptyTargetForm, targetChanges, targetChangesAsFormData, targetFormFrom, targetMetadata } from '@/utils/targetForm'

const repo: Target = {
  id: 3,
  project: 1,
  name: 'app',
  asset_type: 'git_repository',
  identifier: 'https://github.com/org/app.git',
  description: 'The app',
  metadata: { include_paths: ['src/**'], branch: 'main' },
  has_upload: false,
  is_active: true,
  created_by: 1,
  created_at: '',
  updated_at: '',
}

describe('targetFormFrom', () => {
  it('prefills every field and the type-specific options', () => {
    expect(targetFormFrom(repo)).toEqual({
      name: 'app',
      asset_type: 'git_repository',
      identifier: 'https://github.com/org/app.git',
      description: 'The app',
      branch: 'main',
      commit: '',
      include_paths: ['src/**'],
      exclude_paths: [],
      is_active: true,
    })
  })
})

describe('targetMetadata', () => {
  it('keeps only the options the asset type takes', () => {
    const form = { ...emptyTargetForm(), asset_type: 'url' as const, branch: 'main', include_paths: ['x'] }
    expect(targetMetadata(form)).toEqual({})
    expect(targetMetadata({ ...form, asset_type: 'codebase_path' })).toEqual({ include_paths: ['x'] })
  })
})

describe('targetChanges', () => {
  it('sends nothing when nothing changed, whatever the key order of the stored metadata', () => {
    expect(targetChanges(repo, targetFormFrom(repo))).toEqual({})
  })

  it('sends only the changed fields', () => {
    const form = { ...targetFormFrom(repo), name: 'renamed', identifier: '  https://github.com/org/app.git ' }
    expect(targetChanges(repo, form)).toEqual({ name: 'renamed' })
  })

  it('sends the whole metadata when one option changed, since the API replaces it', () => {
    const form = { ...targetFormFrom(repo), commit: 'abc1234' }
    expect(targetChanges(repo, form)).toEqual({ metadata: { branch: 'main', commit: 'abc1234', include_paths: ['src/**'] } })
  })

  it('never sends the asset type, and no identifier for an uploaded archive', () => {
    const upload: Target = { ...repo, asset_type: 'file_upload', identifier: 'app.zip', metadata: {} }
    const form = { ...targetFormFrom(upload), asset_type: 'url' as const, identifier: 'other', description: '', is_active: false }
    expect(targetChanges(upload, form)).toEqual({ description: '', is_active: false })
  })

  it('puts the changes and a new archive in a multipart body', () => {
    const archive = new File(['x'], 'new.zip')
    const body = targetChangesAsFormData({ name: 'n', metadata: { include_paths: ['a'] }, is_active: false }, archive)
    expect(body.get('name')).toBe('n')
    expect(body.get('metadata')).toBe('{"include_paths":["a"]}')
    expect(body.get('is_active')).toBe('false')
    expect((body.get('upload') as File).name).toBe('new.zip')
  })
})
