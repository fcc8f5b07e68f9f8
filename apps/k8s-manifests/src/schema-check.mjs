// Validates Kubernetes objects (a JSON array on stdin) against the OpenAPI schemas kubernetes-models
// 5.1.0 carries (Kubernetes v1.36.0) and the KEDA models of @kubernetes-models/keda 2.0.0 (KEDA v2.19.0),
// and prints one JSON line: [{ kind, name, problem }] (problem null when the object is valid).
// A separate ESM process because both packages are ESM-only and Jest loads specs as CommonJS.
const KEDA_GROUP = 'keda.sh/';

/** The model module of an apiVersion + kind: kubernetes-models/apps/v1/Deployment, .../v1/Service, ... */
function modelModule(apiVersion, kind) {
  if (apiVersion.startsWith(KEDA_GROUP)) return `@kubernetes-models/keda/${apiVersion}/${kind}`;
  return `kubernetes-models/${apiVersion}/${kind}`;
}

async function check(object) {
  const name = object?.metadata?.name ?? '(unnamed)';
  const kind = object?.kind ?? '(no kind)';
  let Model;
  try {
    ({ [kind]: Model } = await import(modelModule(object.apiVersion, kind)));
  } catch {
    // An object no model knows is a failure, never a silent pass.
    return { kind, name, problem: `no schema for ${object.apiVersion} ${kind}` };
  }
  try {
    new Model(object).validate();
    return { kind, name, problem: null };
  } catch (error) {
    return { kind, name, problem: error instanceof Error ? error.message : String(error) };
  }
}

let input = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) input += chunk;
const results = await Promise.all(JSON.parse(input).map(check));
process.stdout.write(`${JSON.stringify(results)}\n`);
