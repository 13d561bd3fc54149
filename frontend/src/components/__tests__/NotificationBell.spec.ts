// The bell: the unread count as a badge, polled every 30 s and on navigation; the panel of the
// latest notifications with links; opening one marks it read; "Mark all read" clears the badge.
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { reactive } from 'vue'

const route = reactive({ fullPath: '/' })
const push = vi.fn()
vi.mock('vue-router', () => ({
  useRoute: () => route,
  useRouter: () => ({ push }),
  RouterLink: { props: ['to'], template: '<a :href="to"><slot /></a>' },
}))
vi.mock('@/api/notifications', () => ({
  getUnreadCount: vi.fn(),
  listNotifications: vi.fn(),
  markNotificationRead: vi.fn(),
  markAllNotificationsRead: vi.fn(),
}))

import * as api from '@/api/notifications'
import NotificationBell from '@/components/NotificationBell.vue'
import { useAuthStore } from '@/stores/useAuthStore'

const item = (id: number, unread: boolean, link = `/findings/${id}`) => ({
  id,
  event_type: 'finding_assigned' as const,
  title: `Finding ${id} assigned to you`,
  body: `high: Problem ${id}`,
  link,
  project: 1,
  scan: null,
  finding: id,
  unread,
  read_at: unread ? null : '2026-12-01T10:00:00Z',
  created_at: '2026-12-01T09:00:00Z',
})

beforeEach(() => {
  setActivePinia(createPinia())
  useAuthStore().setUser({ id: 7, username: 'dev', is_staff: false } as never)
  vi.useFakeTimers()
  route.fullPath = '/'
  push.mockReset()
  vi.mocked(api.getUnreadCount).mockReset().mockResolvedValue({ unread: 2 })
  vi.mocked(api.listNotifications).mockReset().mockResolvedValue({
    count: 3, count_exact: true, next: null, previous: null,
    results: [item(3, true), item(2, true), item(1, false)],
  })
  vi.mocked(api.markNotificationRead).mockReset().mockImplementation(async (id: number) => ({ ...item(id, false) }))
  vi.mocked(api.markAllNotificationsRead).mockReset().mockResolvedValue({ marked: 2 })
})

const mounted: Array<ReturnType<typeof mount>> = []

afterEach(() => {
  mounted.splice(0).forEach((wrapper) => wrapper.unmount())
  vi.useRealTimers()
  document.body.innerHTML = ''
})

async function mountBell() {
  const wrapper = mount(NotificationBell, { attachTo: document.body })
  mounted.push(wrapper)
  await flushPromises()
  return wrapper
}

describe('NotificationBell', () => {
  it('shows the unread count and says it to screen readers', async () => {
    const wrapper = await mountBell()
    expect(wrapper.get('[data-testid="notification-count"]').text()).toBe('2')
    expect(wrapper.get('[data-testid="notification-bell"]').attributes('aria-label')).toBe('Notifications, 2 unread')
  })

  it('shows no badge when nothing is unread, and 99+ past 99', async () => {
    vi.mocked(api.getUnreadCount).mockResolvedValue({ unread: 0 })
    const wrapper = await mountBell()
    expect(wrapper.find('[data-testid="notification-count"]').exists()).toBe(false)
    vi.mocked(api.getUnreadCount).mockResolvedValue({ unread: 250 })
    await vi.advanceTimersByTimeAsync(30_000)
    expect(wrapper.get('[data-testid="notification-count"]').text()).toBe('99+')
  })

  it('polls every 30 seconds and on every navigation', async () => {
    await mountBell()
    expect(api.getUnreadCount).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(29_000)
    expect(api.getUnreadCount).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(api.getUnreadCount).toHaveBeenCalledTimes(2)
    route.fullPath = '/findings'
    await flushPromises()
    expect(api.getUnreadCount).toHaveBeenCalledTimes(3)
  })

  it('lists the latest, unread first, and opening one marks it read and follows its link', async () => {
    const wrapper = await mountBell()
    await wrapper.get('[data-testid="notification-bell"]').trigger('click')
    await flushPromises()
    expect(api.listNotifications).toHaveBeenCalledWith({ order: 'unread', page_size: 10 })
    const rows = wrapper.findAll('[data-testid="notification-item"]')
    expect(rows.map((row) => row.classes('unread'))).toEqual([true, true, false])
    expect(rows[0].text()).toContain('Finding 3 assigned to you')
    expect(rows[0].get('a').attributes('href')).toBe('/findings/3')

    await rows[0].get('a').trigger('click')
    await flushPromises()
    expect(api.markNotificationRead).toHaveBeenCalledWith(3)
    expect(push).toHaveBeenCalledWith('/findings/3')
    expect(wrapper.get('[data-testid="notification-count"]').text()).toBe('1')
    expect(wrapper.find('[data-testid="notification-panel"]').exists()).toBe(false)
  })

  it('opening a read one does not mark it again', async () => {
    const wrapper = await mountBell()
    await wrapper.get('[data-testid="notification-bell"]').trigger('click')
    await flushPromises()
    await wrapper.findAll('[data-testid="notification-item"] a')[2].trigger('click')
    await flushPromises()
    expect(api.markNotificationRead).not.toHaveBeenCalled()
    expect(push).toHaveBeenCalledWith('/findings/1')
  })

  it('"Mark all read" clears the badge and the unread marks', async () => {
    const wrapper = await mountBell()
    await wrapper.get('[data-testid="notification-bell"]').trigger('click')
    await flushPromises()
    await wrapper.get('[data-testid="notifications-mark-all"]').trigger('click')
    await flushPromises()
    expect(api.markAllNotificationsRead).toHaveBeenCalledTimes(1)
    expect(wrapper.find('[data-testid="notification-count"]').exists()).toBe(false)
    expect(wrapper.findAll('[data-testid="notification-item"]').some((row) => row.classes('unread'))).toBe(false)
  })

  it('closes on Escape and on a click elsewhere', async () => {
    const wrapper = await mountBell()
    const bell = wrapper.get('[data-testid="notification-bell"]')
    await bell.trigger('click')
    await flushPromises()
    expect(bell.attributes('aria-expanded')).toBe('true')
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }))
    await flushPromises()
    expect(wrapper.find('[data-testid="notification-panel"]').exists()).toBe(false)
    await bell.trigger('click')
    await flushPromises()
    document.body.dispatchEvent(new MouseEvent('click', { bubbles: true }))
    await flushPromises()
    expect(wrapper.find('[data-testid="notification-panel"]').exists()).toBe(false)
  })

  it('asks nothing before anyone is signed in, and starts once someone is', async () => {
    useAuthStore().expire()
    await mountBell()
    await vi.advanceTimersByTimeAsync(60_000)
    route.fullPath = '/register'
    await flushPromises()
    expect(api.getUnreadCount).not.toHaveBeenCalled()
    useAuthStore().setUser({ id: 7, username: 'dev', is_staff: false } as never)
    await flushPromises()
    expect(api.getUnreadCount).toHaveBeenCalledTimes(1)
  })

  it('says so when there is nothing yet', async () => {
    vi.mocked(api.listNotifications).mockResolvedValue({ count: 0, count_exact: true, next: null, previous: null, results: [] })
    const wrapper = await mountBell()
    await wrapper.get('[data-testid="notification-bell"]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid="notification-panel"]').text()).toContain('Nothing yet')
  })
})
