// Overdue: open and past the due date, by the viewer's calendar day.
import { describe, expect, it } from 'vitest'

import { isOverdue } from '@/utils/labels'

const today = new Date(2026, 11, 3, 9, 0)

describe('isOverdue', () => {
  it('is true for an open finding due before today', () => {
    expect(isOverdue({ status: 'new', due_date: '2026-12-02' }, today)).toBe(true)
    expect(isOverdue({ status: 'reopened', due_date: '2025-01-01' }, today)).toBe(true)
  })
  it('is false on the due day itself, without a due date, and for closed findings', () => {
    expect(isOverdue({ status: 'confirmed', due_date: '2026-12-03' }, today)).toBe(false)
    expect(isOverdue({ status: 'new', due_date: null }, today)).toBe(false)
    expect(isOverdue({ status: 'resolved', due_date: '2020-01-01' }, today)).toBe(false)
    expect(isOverdue({ status: 'accepted_risk', due_date: '2020-01-01' }, today)).toBe(false)
  })
})
