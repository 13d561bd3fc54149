// The signed-in user: loaded once at start, set by sign-in, cleared by sign-out or expiry. A
// sign-in that still needs a second factor (or its enrolment) is kept as `pending` until the
// challenge or enrolment pages finish it.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'

import * as authApi from '@/api/auth'
import { ApiError } from '@/api/client'
import type { MfaMethod } from '@/api/mfa'
import type { User } from '@/api/types'

export type SignInStatus = 'signed_in' | 'mfa_required' | 'mfa_enrolment_required'
export interface PendingSignIn {
  status: Exclude<SignInStatus, 'signed_in'>
  methods: MfaMethod[]
}

export const useAuthStore = defineStore('auth', () => {
  const user = ref<User | null>(null)
  const pending = ref<PendingSignIn | null>(null)
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

  /** Check the password: signed in at once, or a pending sign-in for the MFA pages. */
  async function login(username: string, password: string): Promise<SignInStatus> {
    const result = await authApi.login({ username, password })
    checked.value = true
    if (result.status === 'signed_in' && result.user) {
      completeSignIn(result.user)
      return 'signed_in'
    }
    user.value = null
    pending.value = { status: result.status as PendingSignIn['status'], methods: (result.mfa_methods ?? []) as MfaMethod[] }
    return result.status
  }

  /** The second factor was accepted (or enrolled): the session is signed in as `next`. */
  function completeSignIn(next: User): void {
    user.value = next
    pending.value = null
    checked.value = true
  }

  async function logout(): Promise<void> {
    try {
      await authApi.logout()
    } finally {
      user.value = null
      pending.value = null
    }
  }

  /** The session ended elsewhere (401 on a call): forget the user. */
  function expire(): void {
    user.value = null
  }

  function setUser(next: User): void {
    user.value = next
  }

  return { user, pending, checked, isAuthenticated, isStaff, displayName, fetchMe, ensureChecked, login, completeSignIn, logout, expire, setUser }
})
