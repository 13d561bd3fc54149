// The target form: prefilled from a target, and a PATCH body with only the changed fields.
import { describe, expect, it } from 'vitest'

import type { Target } from '@/api/types'
import { emptyTargetForm, takesDefaultBranch, targetChanges, targetChangesAsFormData, targetFormFrom, targetMetadata } from '@/utils/targetForm'

const repo: Target = {
  id: 3,
  project: 1,
  name: 'app',
  asset_type: 'git_repository',
  identifier: 'https://github.com/org/app.git',
  description: 'The app',
  metadata: { include_paths: ['src/**'], branch: 'main' },
  has_upload: false,
  default_branch: '',
  credential_kind: '',
  has_credential: false,
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
      ref_type: 'branch',
      ref: 'main',
      default_branch: '',
      include_paths: ['src/**'],
      exclude_paths: [],
      source_url_template: '',
      is_active: true,
      credential_kind: 'https_token',
      credential_secret: '',
      credential_username: '',
      remove_credential: false,
    })
  })

  it('reads a tag or a commit, and never has a secret to prefill', () => {
    const tagged = targetFormFrom({ ...repo, metadata: { tag: 'v1.2' }, credential_kind: 'ssh_key', has_credential: true })
    expect([tagged.ref_type, tagged.ref, tagged.credential_kind, tagged.credential_secret]).toEqual(['tag', 'v1.2', 'ssh_key', ''])
    const pinned = targetFormFrom({ ...repo, metadata: { commit: 'a'.repeat(40) } })
    expect([pinned.ref_type, pinned.ref]).toEqual(['commit', 'a'.repeat(40)])
    expect(targetFormFrom({ ...repo, metadata: {} }).ref_type).toBe('default')
  })
})

describe('targetMetadata', () => {
  it('keeps only the options the asset type takes', () => {
    const form = { ...emptyTargetForm(), asset_type: 'url' as const, ref_type: 'branch' as const, ref: 'main', include_paths: ['x'] }
    expect(targetMetadata(form)).toEqual({})
    expect(targetMetadata({ ...form, asset_type: 'codebase_path' })).toEqual({ include_paths: ['x'] })
  })

  it('sends one git ref, as a tag when a tag is chosen', () => {
    const form = { ...emptyTargetForm(), ref_type: 'tag' as const, ref: ' v2.0 ' }
    expect(targetMetadata(form)).toEqual({ tag: 'v2.0' })
    expect(targetMetadata({ ...form, ref_type: 'default' })).toEqual({})
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
    const form = { ...targetFormFrom(repo), ref_type: 'commit' as const, ref: 'b'.repeat(40) }
    expect(targetChanges(repo, form)).toEqual({ metadata: { commit: 'b'.repeat(40), include_paths: ['src/**'] } })
  })

  it('keeps a git target’s file link template through an edit, and sends a new one', () => {
    const linked: Target = { ...repo, metadata: { include_paths: ['src/**'], branch: 'main', source_url_template: '{repo}/src/{commit}/{path}#L{line}' } }
    expect(targetFormFrom(linked).source_url_template).toBe('{repo}/src/{commit}/{path}#L{line}')
    expect(targetChanges(linked, { ...targetFormFrom(linked), name: 'renamed' })).toEqual({ name: 'renamed' })
    const form = { ...targetFormFrom(repo), source_url_template: ' {repo}/-/blob/{commit}/{path}#L{line} ' }
    expect(targetChanges(repo, form)).toEqual({
      metadata: { branch: 'main', include_paths: ['src/**'], source_url_template: '{repo}/-/blob/{commit}/{path}#L{line}' },
    })
  })

  it('sends a credential only when a new secret is typed, and removes it on request', () => {
    const secret = { ...targetFormFrom(repo), credential_secret: 'tok', credential_username: 'bot' }
    expect(targetChanges(repo, secret)).toEqual({ credential_kind: 'https_token', credential_secret: 'tok', credential_username: 'bot' })
    const key = { ...targetFormFrom(repo), credential_kind: 'ssh_key' as const, credential_secret: '-----BEGIN', credential_username: 'ignored' }
    expect(targetChanges(repo, key)).toEqual({ credential_kind: 'ssh_key', credential_secret: '-----BEGIN' })
    const stored: Target = { ...repo, credential_kind: 'https_token', has_credential: true }
    expect(targetChanges(stored, { ...targetFormFrom(stored), remove_credential: true })).toEqual({ credential_kind: '' })
    expect(targetChanges(stored, targetFormFrom(stored))).toEqual({})
  })

  it('sends the default branch trimmed when it changed, and an empty one to clear it', () => {
    const form = { ...targetFormFrom(repo), default_branch: ' develop ' }
    expect(targetChanges(repo, form)).toEqual({ default_branch: 'develop' })
    const stored: Target = { ...repo, default_branch: 'develop' }
    expect(targetFormFrom(stored).default_branch).toBe('develop')
    expect(targetChanges(stored, targetFormFrom(stored))).toEqual({})
    expect(targetChanges(stored, { ...targetFormFrom(stored), default_branch: '' })).toEqual({ default_branch: '' })
  })

  it('asks for a default branch only for source code', () => {
    expect(takesDefaultBranch('git_repository')).toBe(true)
    expect(takesDefaultBranch('codebase_path')).toBe(true)
    expect(takesDefaultBranch('file_upload')).toBe(true)
    expect(takesDefaultBranch('url')).toBe(false)
    expect(takesDefaultBranch('ip_range')).toBe(false)
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
