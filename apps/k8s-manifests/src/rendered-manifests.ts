import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const REPO_ROOT = join(__dirname, '../../..');

/** A rendered Kubernetes object, loosely typed: the specs read the fields they assert. */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [field: string]: any;
};

/**
 * kubectl to render with: $KUBECTL, else the one on PATH. kubectl 1.20 (Debian's kubernetes-client,
 * kustomize v2.0.3) and current kubectl (kustomize v5) must both render deploy/k8s.
 */
export function kubectlBinary(): string {
  return process.env.KUBECTL ?? 'kubectl';
}

/** `kubectl kustomize <dir>`, parsed with the yaml package: every object of the overlay. */
export function renderKustomization(directory: string, kubectl = kubectlBinary()): K8sObject[] {
  let output: string;
  try {
    output = execFileSync(kubectl, ['kustomize', join(REPO_ROOT, directory)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        `${kubectl} not found: npm test installs Debian's kubernetes-client when no kubectl is on PATH; or set KUBECTL`,
      );
    }
    throw error;
  }
  return parseAllDocuments(output)
    .map((document) => {
      if (document.errors.length > 0)
        throw new Error(`unparsable YAML from kustomize: ${document.errors[0].message}`);
      return document.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null)
    .map(unfoldSecretData);
}

/**
 * kustomize v5 folds long base64 values of a Secret over several lines; the API server decodes them
 * with Go's base64, which skips line breaks, while the schema's "byte" format does not. Unfolded
 * here as the API server reads them.
 */
function unfoldSecretData(object: K8sObject): K8sObject {
  if (object.kind !== 'Secret' || !object.data) return object;
  const data = Object.fromEntries(
    Object.entries<string>(object.data).map(([key, value]) => [key, value.replace(/\s+/g, '')]),
  );
  return { ...object, data };
}

export interface SchemaProblem {
  kind: string;
  name: string;
  problem: string | null;
}

/** Each object checked against the Kubernetes v1.36.0 and KEDA v2.19.0 schemas (schema-check.mjs). */
export function checkSchemas(objects: K8sObject[]): SchemaProblem[] {
  const result = spawnSync(process.execPath, [join(__dirname, 'schema-check.mjs')], {
    cwd: REPO_ROOT,
    input: JSON.stringify(objects),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.status !== 0) throw new Error(`schema-check.mjs failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as SchemaProblem[];
}

export function findObject(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendered manifests`);
  return found;
}

/** A generated ConfigMap or Secret by its name before kustomize appended the content hash. */
export function findGenerated(objects: K8sObject[], kind: 'ConfigMap' | 'Secret', name: string): K8sObject {
  const found = objects.find(
    (object) => object.kind === kind && new RegExp(`^${name}-[a-z0-9]{10}$`).test(object.metadata.name),
  );
  if (!found) throw new Error(`no generated ${kind} ${name} in the rendered manifests`);
  return found;
}
