// Organizations the user belongs to, with the user's role in each: decides which controls show.
import { defineStore } from 'pinia'
import { ref } from 'vue'

import * as organizationsApi from '@/api/organizations'
import type { Organization, OrganizationMember, OrganizationRole } from '@/api/types'

const RANK: Record<OrganizationRole, number> = { member: 1, admin: 2, owner: 3 }
export const ORGANIZATION_ROLES: OrganizationRole[] = ['owner', 'admin', 'member']

function asRole(role: string | null | undefined): OrganizationRole | null {
  return role === 'owner' || role === 'admin' || role === 'member' ? role : null
}

export function orgRoleAtLeast(role: string | null | undefined, needed: OrganizationRole): boolean {
  const known = asRole(role)
  return !!known && RANK[known] >= RANK[needed]
}

/** What the caller's organization role allows, as the API enforces it: owners and admins edit
 * the organization and its membership, only owners delete it or touch the owner role. */
export function orgPermissions(role: string | null | undefined) {
  return {
    canEdit: orgRoleAtLeast(role, 'admin'),
    canManageMembers: orgRoleAtLeast(role, 'admin'),
    canDelete: orgRoleAtLeast(role, 'owner'),
    /** The sign-in policy (require two-factor authentication) is the owners'. */
    canSetSignInPolicy: orgRoleAtLeast(role, 'owner'),
    /** Roles the caller may hand out. */
    grantableRoles: orgRoleAtLeast(role, 'owner') ? ORGANIZATION_ROLES : orgRoleAtLeast(role, 'admin') ? ORGANIZATION_ROLES.filter((r) => r !== 'owner') : [],
  }
}

/** Whether the caller may change this member's role or remove them: admins manage everyone
 * but owners. (The API also keeps the last owner; its refusal is shown when it happens.) */
export function canManageMember(callerRole: string | null | undefined, member: Pick<OrganizationMember, 'role'>): boolean {
  if (!orgRoleAtLeast(callerRole, 'admin')) return false
  return member.role !== 'owner' || orgRoleAtLeast(callerRole, 'owner')
}

export const useOrganizationsStore = defineStore('organizations', () => {
  const organizations = ref<Organization[]>([])
  const loaded = ref(false)

  async function load(force = false): Promise<void> {
    if (loaded.value && !force) return
    const page = await organizationsApi.listOrganizations()
    organizations.value = page.results
    loaded.value = true
  }

  function roleOf(organizationId: number): OrganizationRole | null {
    return asRole(organizations.value.find((o) => o.id === organizationId)?.role)
  }

  async function create(body: Parameters<typeof organizationsApi.createOrganization>[0]): Promise<Organization> {
    const organization = await organizationsApi.createOrganization(body)
    upsert(organization)
    return organization
  }

  function upsert(organization: Organization): void {
    const others = organizations.value.filter((o) => o.id !== organization.id)
    organizations.value = [...others, organization].sort((a, b) => a.name.localeCompare(b.name))
  }

  function remove(organizationId: number): void {
    organizations.value = organizations.value.filter((o) => o.id !== organizationId)
  }

  function reset(): void {
    organizations.value = []
    loaded.value = false
  }

  return { organizations, loaded, load, roleOf, create, upsert, remove, reset }
})

/** The organization fields the edit form changed (the PATCH body). */
export function organizationChanges(
  organization: Pick<Organization, 'name' | 'slug' | 'description'>,
  form: { name: string; slug: string; description: string },
): { name?: string; slug?: string; description?: string } {
  const changes: { name?: string; slug?: string; description?: string } = {}
  if (form.name !== organization.name) changes.name = form.name
  if (form.slug.trim() !== organization.slug) changes.slug = form.slug.trim()
  if (form.description !== (organization.description ?? '')) changes.description = form.description
  return changes
}
