// Projects the user can see, with the user's role in each: decides which controls to show.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'

import * as projectsApi from '@/api/projects'
import type { Project, ProjectRole } from '@/api/types'

const RANK: Record<ProjectRole, number> = { auditor: 1, member: 2, owner: 3 }

export function roleAtLeast(role: ProjectRole | null | undefined, needed: ProjectRole): boolean {
  return !!role && RANK[role] >= RANK[needed]
}

export const useProjectsStore = defineStore('projects', () => {
  const projects = ref<Project[]>([])
  const loaded = ref(false)

  const roles = computed(() => new Map(projects.value.map((p) => [p.id, (p.role ?? null) as ProjectRole | null])))
  /** True when the user may triage in at least one project (members and owners). */
  const canTriageAny = computed(() => projects.value.some((p) => roleAtLeast(p.role as ProjectRole, 'member')))

  async function load(force = false): Promise<void> {
    if (loaded.value && !force) return
    const page = await projectsApi.listProjects({ page_size: 500 })
    projects.value = page.results
    loaded.value = true
  }

  function roleOf(projectId: number): ProjectRole | null {
    return roles.value.get(projectId) ?? null
  }

  function canWrite(projectId: number): boolean {
    return roleAtLeast(roleOf(projectId), 'member')
  }

  function upsert(project: Project): void {
    const others = projects.value.filter((p) => p.id !== project.id)
    projects.value = [...others, project].sort((a, b) => a.name.localeCompare(b.name))
  }

  function remove(projectId: number): void {
    projects.value = projects.value.filter((p) => p.id !== projectId)
  }

  function reset(): void {
    projects.value = []
    loaded.value = false
  }

  return { projects, loaded, canTriageAny, load, roleOf, canWrite, upsert, remove, reset }
})
