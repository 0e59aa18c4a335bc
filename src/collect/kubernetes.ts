// Kubernetes metadata from a log file's path, for both of kubelet's layouts:
//   /var/log/containers/<pod>_<namespace>_<container>-<64-hex container id>.log  (symlinks)
//   /var/log/pods/<namespace>_<pod>_<uid>/<container>/<n>.log                  (the files)
// Pod and namespace names are DNS labels/subdomains (no `_`), so `_` separates them safely;
// a container name is a DNS label too, and the id is the last 64 hex digits.
import path from 'node:path'

export interface KubernetesMeta {
  pod_name: string
  namespace_name: string
  container_name: string
  container_id?: string
  pod_id?: string
  host?: string
}

const CONTAINERS = /^([^_/]+)_([^_/]+)_(.+)-([0-9a-f]{64})\.log$/
const POD_DIR = /^([^_/]+)_([^_/]+)_([^_/]+)$/

/** The metadata `file` names, or null when it is in neither layout. */
export function kubernetesFromPath (file: string, host?: string): KubernetesMeta | null {
  const base = path.basename(file)
  const c = CONTAINERS.exec(base)
  if (c !== null) return withHost({ pod_name: c[1], namespace_name: c[2], container_name: c[3], container_id: c[4] }, host)
  const parts = file.split('/')
  if (parts.length >= 3 && /^\d+\.log(?:\.\d+)?$/.test(parts[parts.length - 1])) {
    const p = POD_DIR.exec(parts[parts.length - 3])
    if (p !== null) return withHost({ pod_name: p[2], namespace_name: p[1], container_name: parts[parts.length - 2], pod_id: p[3] }, host)
  }
  return null
}

function withHost (m: KubernetesMeta, host: string | undefined): KubernetesMeta {
  if (host !== undefined && host !== '') m.host = host
  return m
}
