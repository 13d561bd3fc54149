// Stores: the signed-in user, the tool catalogue, and project roles.
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'

import { ApiError } from '@/api/client'

vi.mock('@/api/auth', () => ({
  getMe: vi.fn(),
  login: vi.fn(),
  logout: vi.fn(),
}))
vi.mock('@/api/scans', () => ({
  listTools: vi.fn(),
  setToolEnabled: vi.fn(),
}))
vi.mock('@/api/projects', () => ({
  listProjects: vi.fn(),
}))

import * as authApi from '@/api/auth'
import * as projectsApi from '@/api/projects'
import * as scansApi from '@/api/scans'
import { useAuthStore } from '@/stores/useAuthStore'
import { useProjectsStore } from '@/stores/useProjectsStore'
import { useToolsStore } from '@/stores/useToolsStore'

const alice = { id: 1, username: 'alice', email: 'a@example.com', first_name: 'Alice', last_name: 'Doe', is_staff: false, date_joined: '', profile: {} }

beforeEach(() => {
  setActivePinia(createPinia())
  vi.mocked(authApi.getMe).mockReset()
  vi.mocked(authApi.login).mockReset()
  vi.mocked(authApi.logout).mockReset()
  vi.mocked(scansApi.listTools).mockReset()
  vi.mocked(scansApi.setToolEnabled).mockReset()
  vi.mocked(projectsApi.listProjects).mockReset()
})

describe('useAuthStore', () => {
  it('treats 401 from /auth/me/ as signed out', async () => {
    vi.mocked(authApi.getMe).mockRejectedValue(new ApiError(401, 'not_authenticated', 'Sign in.'))
    const auth = useAuthStore()

    await auth.ensureChecked()

    expect(auth.checked).toBe(true)
    expect(auth.isAuthenticated).toBe(false)
  })

  it('asks the server only once', async () => {
    vi.mocked(authApi.getMe).mockResolvedValue(alice as never)
    const auth = useAuthStore()

    await auth.ensureChecked()
    await auth.ensureChecked()

    expect(authApi.getMe).toHaveBeenCalledTimes(1)
    expect(auth.displayName).toBe('Alice Doe')
  })

  it('keeps a sign-in that needs a second factor pending, signed out, until it completes', async () => {
    vi.mocked(authApi.login).mockResolvedValue({ status: 'mfa_required', user: null, mfa_methods: ['totp', 'recovery_code'] } as never)
    const auth = useAuthStore()

    expect(await auth.login('alice', 'pw')).toBe('mfa_required')
    expect(auth.isAuthenticated).toBe(false)
    expect(auth.pending).toEqual({ status: 'mfa_required', methods: ['totp', 'recovery_code'] })

    auth.completeSignIn(alice as never)
    expect(auth.isAuthenticated).toBe(true)
    expect(auth.pending).toBeNull()
  })

  it('re-throws other errors so the page can show them', async () => {
    vi.mocked(authApi.getMe).mockRejectedValue(new ApiError(0, 'network', 'Offline'))
    await expect(useAuthStore().fetchMe()).rejects.toMatchObject({ code: 'network' })
  })

  it('signs in, signs out and expires', async () => {
    vi.mocked(authApi.login).mockResolvedValue({ status: 'signed_in', user: { ...alice, is_staff: true }, mfa_methods: [] } as never)
    vi.mocked(authApi.logout).mockResolvedValue(undefined)
    const auth = useAuthStore()

    expect(await auth.login('alice', 'pw')).toBe('signed_in')
    expect(auth.isStaff).toBe(true)
    expect(auth.pending).toBeNull()
    expect(authApi.login).toHaveBeenCalledWith({ username: 'alice', password: 'pw' })

    await auth.logout()
    expect(auth.user).toBeNull()

    auth.setUser(alice as never)
    auth.expire()
    expect(auth.isAuthenticated).toBe(false)
  })

  it('forgets the user even when sign-out fails', async () => {
    vi.mocked(authApi.logout).mockRejectedValue(new ApiError(0, 'network', 'Offline'))
    const auth = useAuthStore()
    auth.setUser(alice as never)

    await expect(auth.logout()).rejects.toBeInstanceOf(ApiError)
    expect(auth.user).toBeNull()
  })
})

const tool = (slug: string, extra: Record<string, unknown> = {}) => ({
  id: slug.length,
  slug,
  name: slug,
  available: true,
  enabled: true,
  unavailable_reason: '',
  ...extra,
})

describe('useToolsStore', () => {
  it('loads once even when asked twice at the same time', async () => {
    vi.mocked(scansApi.listTools).mockResolvedValue({ count: 2, results: [tool('semgrep'), tool('bandit', { available: false, unavailable_reason: 'bandit not found' })] } as never)
    const tools = useToolsStore()

    await Promise.all([tools.load(), tools.load()])

    expect(scansApi.listTools).toHaveBeenCalledTimes(1)
    expect(tools.usable.map((t) => t.slug)).toEqual(['semgrep'])
    expect(tools.bySlug.get('bandit')?.available).toBe(false)
  })

  it('explains why a tool cannot be picked', () => {
    const tools = useToolsStore()
    expect(tools.unavailableReason(tool('a', { enabled: false }) as never)).toMatch(/Disabled/)
    expect(tools.unavailableReason(tool('b', { available: false, unavailable_reason: 'binary missing' }) as never)).toBe('binary missing')
    expect(tools.unavailableReason(tool('c', { available: false }) as never)).toMatch(/Not installed/)
    expect(tools.unavailableReason(tool('d') as never)).toBeNull()
  })

  it('replaces a tool after enabling or disabling it', async () => {
    vi.mocked(scansApi.listTools).mockResolvedValue({ count: 1, results: [tool('semgrep')] } as never)
    vi.mocked(scansApi.setToolEnabled).mockResolvedValue(tool('semgrep', { enabled: false }) as never)
    const tools = useToolsStore()
    await tools.load()

    await tools.setEnabled(7, false)

    expect(tools.tools[0].enabled).toBe(false)
    expect(tools.usable).toEqual([])
  })
})

describe('useProjectsStore', () => {
  it('knows the role in each project and whether the user can triage anywhere', async () => {
    vi.mocked(projectsApi.listProjects).mockResolvedValue({
      count: 2,
      results: [
        { id: 1, name: 'B', role: 'auditor' },
        { id: 2, name: 'A', role: 'member' },
      ],
    } as never)
    const projects = useProjectsStore()

    await projects.load()

    expect(projects.roleOf(1)).toBe('auditor')
    expect(projects.canWrite(1)).toBe(false)
    expect(projects.canWrite(2)).toBe(true)
    expect(projects.canTriageAny).toBe(true)
    projects.remove(2)
    expect(projects.canTriageAny).toBe(false)
  })
})
