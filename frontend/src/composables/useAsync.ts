// Loading/error/data state for a read, with a reload.
import { ref, shallowRef, type Ref, type ShallowRef } from 'vue'

import { errorMessage } from '@/api/client'

export interface AsyncState<T> {
  data: ShallowRef<T | undefined>
  loading: Ref<boolean>
  error: Ref<string | null>
  load: () => Promise<void>
}

export function useAsync<T>(fetcher: () => Promise<T>, { immediate = true } = {}): AsyncState<T> {
  const data = shallowRef<T>()
  const loading = ref(false)
  const error = ref<string | null>(null)
  let sequence = 0

  async function load(): Promise<void> {
    const mine = ++sequence
    loading.value = true
    error.value = null
    try {
      const result = await fetcher()
      if (mine === sequence) data.value = result
    } catch (err) {
      if (mine === sequence) error.value = errorMessage(err)
    } finally {
      if (mine === sequence) loading.value = false
    }
  }

  if (immediate) void load()
  return { data, loading, error, load }
}
