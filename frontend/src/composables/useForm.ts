// Form submission state: busy flag, a general error and the server's field errors by field.
import { reactive, ref } from 'vue'

import { ApiError, errorMessage } from '@/api/client'

export function useForm() {
  const busy = ref(false)
  const error = ref<string | null>(null)
  const fields = reactive<Record<string, string>>({})

  function clear(): void {
    error.value = null
    for (const key of Object.keys(fields)) delete fields[key]
  }

  /** Run `action`; on an API error, keep its message and put each field's first message at
   * that field. Resolves to the action's result, or undefined when it failed. */
  async function submit<T>(action: () => Promise<T>): Promise<T | undefined> {
    clear()
    busy.value = true
    try {
      return await action()
    } catch (err) {
      if (err instanceof ApiError) {
        for (const [name, messages] of Object.entries(err.fields)) {
          if (messages.length) fields[name] = messages[0]
        }
        const nonField = err.fields.non_field_errors?.[0]
        error.value = nonField ?? err.message
      } else {
        error.value = errorMessage(err)
      }
      return undefined
    } finally {
      busy.value = false
    }
  }

  /** Props for an NFormItem: the field's server message and error status, and (with the
   * input's id) a label bound to its input. */
  function field(
    name: string,
    inputId?: string,
  ): { feedback?: string; validationStatus?: 'error'; labelProps?: { for: string } } {
    const props: { feedback?: string; validationStatus?: 'error'; labelProps?: { for: string } } = {}
    if (inputId) props.labelProps = { for: inputId }
    if (fields[name]) {
      props.feedback = fields[name]
      props.validationStatus = 'error'
    }
    return props
  }

  return { busy, error, fields, submit, field, clear }
}
