// The targets tab: Edit only for those who may write, and an edit sends only what changed.
import { flushPromises, mount } from '@vue/test-utils'
import { NDialogProvider, NMessageProvider } from 'naive-ui'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'

import { ApiError } from '@/api/client'
import type { Target } from '@/api/types'

vi.mock('@/api/projects', () => ({
  listTargets: vi.fn(),
  createTarget: vi.fn(),
  updateTarget: vi.fn(),
  deleteTarget: vi.fn(),
}))

import * as projectsApi from '@/api/projects'
import TargetsTab from '@/components/project/TargetsTab.vue'

const target: Target = {
  id: 9,
  project: 4,
  name: 'site',
  asset_type: 'url',
  identifier: 'https://app.example.com/',
  description: '',
  metadata: {},
  has_upload: false,
  default_branch: '',
  credential_kind: '',
  has_credential: false,
  is_active: true,
  created_by: 1,
  created_at: '',
  updated_at: '',
}

function mountTab(canWrite: boolean) {
  const Host = defineComponent({
    setup: () => () =>
      h(NMessageProvider, null, () => h(NDialogProvider, null, () => h(TargetsTab, { projectId: 4, canWrite }))),
  })
  return mount(Host, { attachTo: document.body })
}

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T
}

beforeEach(() => {
  vi.mocked(projectsApi.listTargets).mockReset()
  vi.mocked(projectsApi.updateTarget).mockReset()
  vi.mocked(projectsApi.listTargets).mockResolvedValue({ count: 1, results: [target] })
})
afterEach(() => {
  document.body.innerHTML = ''
})

describe('TargetsTab', () => {
  it('offers no Add, Edit or Delete to a reader', async () => {
    const wrapper = mountTab(false)
    await flushPromises()
    expect(wrapper.text()).toContain('site')
    expect(wrapper.findAll('button').map((b) => b.text())).toEqual([])
    wrapper.unmount()
  })

  it('opens the form prefilled and sends only the changed name', async () => {
    vi.mocked(projectsApi.updateTarget).mockResolvedValue({ ...target, name: 'site-2' })
    const wrapper = mountTab(true)
    await flushPromises()

    await wrapper.get('[data-testid="edit-target"]').trigger('click')
    await flushPromises()
    const name = byId<HTMLInputElement>('target-name')
    expect(name.value).toBe('site')
    expect(byId<HTMLInputElement>('target-identifier').value).toBe('https://app.example.com/')
    name.value = 'site-2'
    name.dispatchEvent(new Event('input'))
    await flushPromises()
    document.querySelector<HTMLButtonElement>('[data-testid="save-target"]')!.click()
    await flushPromises()

    expect(projectsApi.updateTarget).toHaveBeenCalledWith(4, 9, { name: 'site-2' })
    expect(projectsApi.listTargets).toHaveBeenCalledTimes(2)
    wrapper.unmount()
  })

  it('shows the API field error under its input and keeps the form open', async () => {
    vi.mocked(projectsApi.updateTarget).mockRejectedValue(
      new ApiError(400, 'invalid', 'Check the highlighted fields.', { identifier: ['Enter an http(s) URL.'] }),
    )
    const wrapper = mountTab(true)
    await flushPromises()
    await wrapper.get('[data-testid="edit-target"]').trigger('click')
    await flushPromises()
    const identifier = byId<HTMLInputElement>('target-identifier')
    identifier.value = 'ftp://nope'
    identifier.dispatchEvent(new Event('input'))
    await flushPromises()
    document.querySelector<HTMLButtonElement>('[data-testid="save-target"]')!.click()
    await flushPromises()

    expect(projectsApi.updateTarget).toHaveBeenCalledWith(4, 9, { identifier: 'ftp://nope' })
    const item = identifier.closest('.n-form-item')!
    expect(item.textContent).toContain('Enter an http(s) URL.')
    expect(document.body.textContent).toContain('Check the highlighted fields.')
    wrapper.unmount()
  })

  it('shows only that a credential is set and sends a new secret only when typed', async () => {
    const repo: Target = {
      ...target,
      id: 10,
      name: 'private-repo',
      asset_type: 'git_repository',
      identifier: 'https://git.example.com/acme/app.git',
      metadata: { tag: 'v1.0' },
      credential_kind: 'https_token',
      has_credential: true,
    }
    vi.mocked(projectsApi.listTargets).mockResolvedValue({ count: 1, results: [repo] })
    vi.mocked(projectsApi.updateTarget).mockResolvedValue(repo)
    const wrapper = mountTab(true)
    await flushPromises()
    expect(wrapper.get('[data-target="private-repo"]').text()).toContain('HTTPS token set')

    await wrapper.get('[data-testid="edit-target"]').trigger('click')
    await flushPromises()
    expect(byId<HTMLInputElement>('target-ref').value).toBe('v1.0')
    const secret = byId<HTMLInputElement>('target-credential-secret')
    expect(secret.type).toBe('password')
    expect(secret.value).toBe('')
    expect(document.body.textContent).toContain('An HTTPS token is stored')
    secret.value = 'new-token'
    secret.dispatchEvent(new Event('input'))
    await flushPromises()
    document.querySelector<HTMLButtonElement>('[data-testid="save-target"]')!.click()
    await flushPromises()

    expect(projectsApi.updateTarget).toHaveBeenCalledWith(4, 10, { credential_kind: 'https_token', credential_secret: 'new-token' })
    wrapper.unmount()
  })

  it('asks a repository for its default branch, sends it on create and lists it', async () => {
    const created: Target = { ...target, id: 11, name: 'app', asset_type: 'git_repository', identifier: 'https://git.example.com/acme/app.git', default_branch: 'develop' }
    vi.mocked(projectsApi.createTarget).mockResolvedValue(created)
    const wrapper = mountTab(true)
    await flushPromises()
    // A URL target has no branches: no such field when editing it.
    await wrapper.get('[data-testid="edit-target"]').trigger('click')
    await flushPromises()
    expect(byId('target-default-branch')).toBeNull()

    await wrapper.get('[data-testid="add-target"]').trigger('click')
    await flushPromises()
    for (const [id, value] of [['target-name', 'app'], ['target-identifier', 'https://git.example.com/acme/app.git'], ['target-default-branch', ' develop ']]) {
      const input = byId<HTMLInputElement>(id!)
      input.value = value!
      input.dispatchEvent(new Event('input'))
    }
    await flushPromises()
    vi.mocked(projectsApi.listTargets).mockResolvedValue({ count: 2, results: [target, created] })
    document.querySelector<HTMLButtonElement>('[data-testid="save-target"]')!.click()
    await flushPromises()

    expect(vi.mocked(projectsApi.createTarget).mock.calls[0]![1]).toMatchObject({ name: 'app', asset_type: 'git_repository', default_branch: 'develop' })
    expect(wrapper.get('[data-target="app"]').text()).toContain('default branch develop')
    wrapper.unmount()
  })
})
