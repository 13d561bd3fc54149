// The signed-in user's in-app notifications: the unread count (polled by the bell) and the
// latest few (loaded when the bell opens).
import { defineStore } from 'pinia'
import { ref } from 'vue'

import * as notificationsApi from '@/api/notifications'
import type { AppNotification } from '@/api/notifications'

/** How many of the latest notifications the bell's panel lists. */
export const LATEST = 10

export const useNotificationsStore = defineStore('notifications', () => {
  const unread = ref(0)
  const latest = ref<AppNotification[]>([])
  const loading = ref(false)
  const error = ref<string | null>(null)
  let counting: Promise<void> | null = null

  /** Refresh the unread count; concurrent callers share one request, failures keep the old count. */
  function refreshCount(): Promise<void> {
    if (!counting) {
      counting = notificationsApi
        .getUnreadCount()
        .then((answer) => {
          unread.value = answer.unread
        })
        .catch(() => undefined)
        .finally(() => {
          counting = null
        })
    }
    return counting
  }

  /** Load the latest notifications, unread first. */
  async function loadLatest(): Promise<void> {
    loading.value = true
    error.value = null
    try {
      const page = await notificationsApi.listNotifications({ order: 'unread', page_size: LATEST })
      latest.value = page.results
    } catch (e) {
      error.value = e instanceof Error ? e.message : 'Could not load the notifications.'
    } finally {
      loading.value = false
    }
  }

  async function markRead(id: number): Promise<void> {
    const item = latest.value.find((n) => n.id === id)
    if (item && !item.unread) return
    const updated = await notificationsApi.markNotificationRead(id)
    latest.value = latest.value.map((n) => (n.id === id ? updated : n))
    unread.value = Math.max(0, unread.value - 1)
  }

  async function markAllRead(): Promise<void> {
    await notificationsApi.markAllNotificationsRead()
    const now = new Date().toISOString()
    latest.value = latest.value.map((n) => (n.unread ? { ...n, unread: false, read_at: now } : n))
    unread.value = 0
  }

  function reset(): void {
    unread.value = 0
    latest.value = []
    error.value = null
  }

  return { unread, latest, loading, error, refreshCount, loadLatest, markRead, markAllRead, reset }
})
