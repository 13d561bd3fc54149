// Who findings can be assigned to, asked of the API (POST /findings/bulk/assignees/) whenever
// the selection changes: the one source of people for the bulk bar, group triage and the list's
// assignee filter. `selection` returns the findings (ids, or the list's filter; `any_project`
// for people of any of their projects rather than of every one), or null for nobody. The
// caller is left out: each of those places offers "me" of its own.
import { computed, ref, watch, type Ref } from 'vue'

import { listBulkAssignees } from '@/api/findings'
import type { FindingSelection } from '@/api/types'
import { useAuthStore } from '@/stores/useAuthStore'

// A type, not an interface: Naive UI's select options need an index signature.
export type MemberOption = {
  value: string
  label: string
}

export function useAssignableMembers(selection: () => FindingSelection | null): { members: Ref<MemberOption[]>; loading: Ref<boolean> } {
  const auth = useAuthStore()
  const members = ref<MemberOption[]>([])
  const loading = ref(false)
  let sequence = 0
  // Compared by value: a selection rebuilt with the same findings asks nothing again.
  const key = computed(() => JSON.stringify(selection()))
  watch(key, async () => {
    const mine = ++sequence
    const wanted = selection()
    if (!wanted) {
      members.value = []
      loading.value = false
      return
    }
    loading.value = true
    try {
      const users = await listBulkAssignees(wanted)
      if (mine !== sequence) return
      members.value = users
        .filter((user) => user.id !== auth.user?.id)
        .map((user) => ({ value: String(user.id), label: user.full_name ? `${user.full_name} (${user.username})` : user.username }))
    } catch {
      // Only "me" and "nobody" then.
      if (mine === sequence) members.value = []
    } finally {
      if (mine === sequence) loading.value = false
    }
  }, { immediate: true })
  return { members, loading }
}
