import type { K8sObject } from './rendered-manifests';

/** Where a variable's value comes from in the manifest: a literal, a Secret, a ConfigMap or the pod. */
export type EnvSource = 'value' | 'secret' | 'configMap' | 'field';

export interface ResolvedVariable {
  value: string;
  source: EnvSource;
}

function dataOf(object: K8sObject): Record<string, string> {
  if (object.kind === 'Secret') {
    return Object.fromEntries(
      Object.entries<string>(object.data ?? {}).map(([key, encoded]) => [
        key,
        Buffer.from(encoded, 'base64').toString('utf8'),
      ]),
    );
  }
  return { ...(object.data ?? {}) };
}

/**
 * The environment a container starts with, as the kubelet would build it from the rendered objects:
 * envFrom first, then env (which wins). Secret and ConfigMap values are the overlay's own (the example
 * overlay's placeholders); a downward-API field gets a stand-in value. A reference to a missing key
 * fails unless it is optional, as it would in the cluster.
 */
export function resolveContainerEnv(
  container: K8sObject,
  objects: K8sObject[],
): Map<string, ResolvedVariable> {
  const byName = (kind: string, name: string) => {
    const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
    if (!found)
      throw new Error(`${container.name} refers to ${kind} ${name}, which the manifests do not contain`);
    return dataOf(found);
  };
  const env = new Map<string, ResolvedVariable>();
  for (const from of container.envFrom ?? []) {
    const source: EnvSource = from.secretRef ? 'secret' : 'configMap';
    const data = from.secretRef
      ? byName('Secret', from.secretRef.name)
      : byName('ConfigMap', from.configMapRef.name);
    for (const [key, value] of Object.entries(data)) env.set(`${from.prefix ?? ''}${key}`, { value, source });
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef ?? variable.valueFrom?.configMapKeyRef;
    if (variable.valueFrom?.fieldRef) {
      env.set(variable.name, { value: `pod-${variable.valueFrom.fieldRef.fieldPath}`, source: 'field' });
    } else if (ref) {
      const secret = Boolean(variable.valueFrom.secretKeyRef);
      const data = byName(secret ? 'Secret' : 'ConfigMap', ref.name);
      if (data[ref.key] !== undefined)
        env.set(variable.name, { value: data[ref.key], source: secret ? 'secret' : 'configMap' });
      else if (!ref.optional)
        throw new Error(
          `${container.name}: ${variable.name} refers to a missing key ${ref.key} of ${ref.name}`,
        );
    } else {
      env.set(variable.name, { value: String(variable.value ?? ''), source: 'value' });
    }
  }
  return env;
}

export function plainEnv(env: Map<string, ResolvedVariable>): Record<string, string> {
  return Object.fromEntries([...env].map(([name, { value }]) => [name, value]));
}
