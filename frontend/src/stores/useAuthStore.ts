// The signed-in user: loaded once at start, set by sign-in, cleared by sign-out or expiry.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'

import * as authApi from '@/api/auth'
import { ApiError } from '@/api/client'
import type { User } from '@/api/types'

export const useAuthStore = defineStore('auth', () => {
  const user = ref<User | null>(null)
  /** True once we know whether a session exists (the first /auth/me/ answered). */
  const checked = ref(false)

  const isAuthenticated = computed(() => user.value !== null)
  const isStaff = computed(() => user.value?.is_staff === true)
  const displayName = computed(() => {
    const u = user.value
    if (!u) return ''
    const full = `${u.first_name} ${u.last_name}`.trim()
    return full || u.username
  })

  /** Ask the server who we are; a 401 just means "signed out". */
  async function fetchMe(): Promise<User | null> {
    try {
      user.value = await authApi.getMe()
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) {
        checked.value = true
        throw err
      }
      user.value = null
    }
    checked.value = true
    return user.value
  }

  async function ensureChecked(): Promise<void> {
    if (!checked.value) await fetchMe()
  }

  async function login(username: string, password: string): Promise<User> {
    const result = await authApi.login({ username, password })
    user.value = result.user
    checked.value = true
    return result.user
  }

  async function logout(): Promise<void> {
    try {
      await authApi.logout()
    } finally {
      user.value = null
    }
  }

  /** The session ended elsewhere (401 on a call): forget the user. */
  function expire(): void {
    user.value = null
  }

  function setUser(next: User): void {
    user.value = next
  }

  return { user, checked, isAuthenticated, isStaff, displayName, fetchMe, ensureChecked, login, logout, expire, setUser }
})
