// Organizations: the store, and what the caller's organization role lets the page offer.
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'

vi.mock('@/api/organizations', () => ({
  listOrganizations: vi.fn(),
  createOrganization: vi.fn(),
}))

import * as organizationsApi from '@/api/organizations'
import type { Organization } from '@/api/types'
import { canManageMember, organizationChanges, orgPermissions, useOrganizationsStore } from '@/stores/useOrganizationsStore'

const org = (id: number, name: string, role: string | null): Organization => ({
  id, name, slug: name.toLowerCase(), description: '', require_mfa: false, role, member_count: 1, created_at: '', updated_at: '',
})

beforeEach(() => {
  setActivePinia(createPinia())
  vi.mocked(organizationsApi.listOrganizations).mockReset()
  vi.mocked(organizationsApi.createOrganization).mockReset()
})

describe('useOrganizationsStore', () => {
  it('loads once and knows the caller role in each', async () => {
    vi.mocked(organizationsApi.listOrganizations).mockResolvedValue({ count: 2, results: [org(1, 'Acme', 'admin'), org(2, 'Beta', 'member')] })
    const store = useOrganizationsStore()

    await store.load()
    await store.load()

    expect(organizationsApi.listOrganizations).toHaveBeenCalledTimes(1)
    expect(store.roleOf(1)).toBe('admin')
    expect(store.roleOf(2)).toBe('member')
    expect(store.roleOf(3)).toBeNull()
  })

  it('adds a created organization in name order, and forgets a deleted one', async () => {
    vi.mocked(organizationsApi.listOrganizations).mockResolvedValue({ count: 1, results: [org(2, 'Beta', 'owner')] })
    vi.mocked(organizationsApi.createOrganization).mockResolvedValue(org(3, 'Acme', 'owner'))
    const store = useOrganizationsStore()
    await store.load()

    const created = await store.create({ name: 'Acme', description: '' })

    expect(created.id).toBe(3)
    expect(store.organizations.map((o) => o.name)).toEqual(['Acme', 'Beta'])
    store.remove(2)
    expect(store.organizations.map((o) => o.id)).toEqual([3])
    store.reset()
    expect(store.loaded).toBe(false)
  })
})

describe('orgPermissions', () => {
  it('follows the API: admins edit and manage members, only owners delete and grant owner', () => {
    expect(orgPermissions('owner')).toEqual({ canEdit: true, canManageMembers: true, canDelete: true, canSetSignInPolicy: true, grantableRoles: ['owner', 'admin', 'member'] })
    expect(orgPermissions('admin')).toEqual({ canEdit: true, canManageMembers: true, canDelete: false, canSetSignInPolicy: false, grantableRoles: ['admin', 'member'] })
    for (const role of ['member', null, undefined, 'auditor']) {
      expect(orgPermissions(role)).toEqual({ canEdit: false, canManageMembers: false, canDelete: false, canSetSignInPolicy: false, grantableRoles: [] })
    }
  })

  it('lets admins manage everyone but owners, and owners everyone', () => {
    expect(canManageMember('admin', { role: 'owner' })).toBe(false)
    expect(canManageMember('admin', { role: 'admin' })).toBe(true)
    expect(canManageMember('admin', { role: 'member' })).toBe(true)
    expect(canManageMember('owner', { role: 'owner' })).toBe(true)
    expect(canManageMember('member', { role: 'member' })).toBe(false)
  })
})

describe('organizationChanges', () => {
  it('keeps only what the form changed', () => {
    const current = { name: 'Acme', slug: 'acme', description: '' }
    expect(organizationChanges(current, { ...current })).toEqual({})
    expect(organizationChanges(current, { name: 'Acme', slug: ' acme ', description: 'We scan.' })).toEqual({ description: 'We scan.' })
    expect(organizationChanges(current, { name: 'Acme Inc', slug: 'acme-inc', description: '' })).toEqual({ name: 'Acme Inc', slug: 'acme-inc' })
  })
})
