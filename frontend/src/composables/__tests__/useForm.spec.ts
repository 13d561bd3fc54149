// Form state: server field errors land at their field, the general message is kept.
import { describe, expect, it } from 'vitest'

import { ApiError } from '@/api/client'
import { useForm } from '@/composables/useForm'

describe('useForm', () => {
  it('puts each field error at its field and labels inputs', async () => {
    const form = useForm()
    const result = await form.submit(async () => {
      throw new ApiError(400, 'invalid', 'Some fields are invalid.', { email: ['Taken.'], password: ['Too short.', 'Too common.'] })
    })

    expect(result).toBeUndefined()
    expect(form.error.value).toBe('Some fields are invalid.')
    expect(form.field('email', 'e')).toEqual({ feedback: 'Taken.', validationStatus: 'error', labelProps: { for: 'e' } })
    expect(form.field('password').feedback).toBe('Too short.')
    expect(form.field('username')).toEqual({})
    expect(form.busy.value).toBe(false)
  })

  it('shows a non-field error as the message and clears old errors on the next try', async () => {
    const form = useForm()
    await form.submit(async () => {
      throw new ApiError(400, 'invalid_credentials', 'Some fields are invalid.', { non_field_errors: ['Wrong username or password.'] })
    })
    expect(form.error.value).toBe('Wrong username or password.')

    const value = await form.submit(async () => 42)
    expect(value).toBe(42)
    expect(form.error.value).toBeNull()
  })
})
