// deploy/k8s, rendered by `kubectl kustomize` and checked against the schemas and against the apps
// themselves: their configuration classes, their health routes and the limits of nginx/.
import { validateEnvironment } from '@logpipe/app-runtime';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { createServer } from 'node:net';
/* eslint-disable @nx/enforce-module-boundaries -- these tests hold the manifests to the apps' own
   configuration rules, health routes and metrics, so they import them rather than copy them. */
import { AdminKeys } from '../../ingest/src/app/admin/admin-keys';
import { parseApiKeyList } from '../../ingest/src/app/auth/api-keys';
import { HealthController } from '../../ingest/src/app/health/health.controller';
import { IngestConfig } from '../../ingest/src/app/ingest.config';
import { WorkerHealthServer } from '../../worker/src/app/health/worker-health.server';
import { WorkerMetrics } from '../../worker/src/app/metrics/worker.metrics';
import { WorkerConfig } from '../../worker/src/app/worker.config';
/* eslint-enable @nx/enforce-module-boundaries */
import { plainEnv, resolveContainerEnv, type ResolvedVariable } from './container-env';
import { nginxBytes, readNginxLimits, type NginxLimits } from './nginx-limits';
import { checkSchemas, findObject, renderKustomization, type K8sObject } from './rendered-manifests';

const WITH_KEDA = 'deploy/k8s/overlays/example';
const WITHOUT_KEDA = 'deploy/k8s/overlays/example-without-keda';
const INGEST = 'logpipe-ingest';
const WORKER = 'logpipe-worker';

/** Settings whose default only works when everything runs on one host (127.0.0.1): a pod must set them. */
function loopbackDefaults(config: object): string[] {
  return Object.entries(config)
    .filter(([, value]) => typeof value === 'string' && /127\.0\.0\.1|localhost/.test(value))
    .map(([name]) => name);
}

function podSpec(objects: K8sObject[], deployment: string) {
  return findObject(objects, 'Deployment', deployment).spec.template.spec;
}

function mainContainer(objects: K8sObject[], deployment: string): K8sObject {
  return podSpec(objects, deployment).containers[0];
}

function containerPort(container: K8sObject, portName: string): number {
  const port = container.ports?.find((candidate: { name?: string }) => candidate.name === portName);
  if (!port) throw new Error(`${container.name} has no port named ${portName}`);
  return port.containerPort;
}

const MEBIBYTE = 1024 ** 2;
function quantityBytes(quantity: string): number {
  const match = /^(\d+)(Ki|Mi|Gi)$/.exec(quantity);
  if (!match) throw new Error(`unexpected memory quantity ${quantity}`);
  return Number(match[1]) * { Ki: 1024, Mi: MEBIBYTE, Gi: 1024 * MEBIBYTE }[match[2] as 'Ki' | 'Mi' | 'Gi'];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('deploy/k8s', () => {
  let objects: K8sObject[];
  let withoutKeda: K8sObject[];

  beforeAll(() => {
    objects = renderKustomization(WITH_KEDA);
    withoutKeda = renderKustomization(WITHOUT_KEDA);
  });

  describe('schemas (Kubernetes v1.36.0 from kubernetes-models 5.1.0, KEDA v2.19.0 from @kubernetes-models/keda 2.0.0)', () => {
    it.each([
      ['with KEDA', WITH_KEDA],
      ['without KEDA', WITHOUT_KEDA],
    ])('every object of the example overlay %s is valid', (_label, overlay) => {
      const rendered = overlay === WITH_KEDA ? objects : withoutKeda;
      const results = checkSchemas(rendered);
      expect(results).toHaveLength(rendered.length);
      expect(results.filter((result) => result.problem !== null)).toEqual([]);
    });

    it('rejects an object that breaks a schema (the check is not a pass-through)', () => {
      const broken = structuredClone(findObject(objects, 'Service', INGEST));
      broken.spec.ports[0].port = 'http';
      const scaled = structuredClone(findObject(objects, 'ScaledObject', WORKER));
      delete scaled.spec.scaleTargetRef;
      const results = checkSchemas([broken, scaled]);
      expect(results.map((result) => result.problem)).toEqual([
        expect.stringContaining('port'),
        expect.stringContaining('scaleTargetRef'),
      ]);
    });

    it('renders the objects an installation needs, with KEDA or with the HPA alternative', () => {
      const kinds = (rendered: K8sObject[]) =>
        rendered.map((object) => `${object.kind}/${object.metadata.name}`).sort();
      const common = [
        `Deployment/${INGEST}`,
        `Deployment/${WORKER}`,
        `HorizontalPodAutoscaler/${INGEST}`,
        `Ingress/logpipe`,
        `Ingress/logpipe-tail`,
        `Namespace/logpipe`,
        `PodDisruptionBudget/${INGEST}`,
        `PodDisruptionBudget/${WORKER}`,
        `Service/${INGEST}`,
        `Service/${WORKER}`,
      ];
      expect(kinds(objects)).toEqual(expect.arrayContaining([...common, `ScaledObject/${WORKER}`]));
      expect(kinds(withoutKeda)).toEqual(
        expect.arrayContaining([...common, `HorizontalPodAutoscaler/${WORKER}`]),
      );
      expect(kinds(withoutKeda).filter((name) => name.startsWith('ScaledObject/'))).toEqual([]);
      for (const object of objects.filter((candidate) => candidate.kind !== 'Namespace')) {
        expect({
          object: `${object.kind}/${object.metadata.name}`,
          namespace: object.metadata.namespace,
        }).toEqual({
          object: `${object.kind}/${object.metadata.name}`,
          namespace: 'logpipe',
        });
      }
    });
  });

  describe('environment', () => {
    let ingestEnv: Map<string, ResolvedVariable>;
    let workerEnv: Map<string, ResolvedVariable>;
    let migrateEnv: Map<string, ResolvedVariable>;

    beforeAll(() => {
      ingestEnv = resolveContainerEnv(mainContainer(objects, INGEST), objects);
      workerEnv = resolveContainerEnv(mainContainer(objects, WORKER), objects);
      migrateEnv = resolveContainerEnv(podSpec(objects, WORKER).initContainers[0], objects);
    });

    it("passes each app's start-up validation", () => {
      expect(() => validateEnvironment(IngestConfig)(plainEnv(ingestEnv))).not.toThrow();
      expect(() => validateEnvironment(WorkerConfig)(plainEnv(workerEnv))).not.toThrow();
      expect(() => validateEnvironment(WorkerConfig)(plainEnv(migrateEnv))).not.toThrow();
    });

    it('sets every setting whose default only works on one host', () => {
      const required = {
        ingest: loopbackDefaults(new IngestConfig()),
        worker: loopbackDefaults(new WorkerConfig()),
      };
      // The derivation finds what a pod cannot do without (a guard against it finding nothing).
      expect(required.ingest).toEqual(expect.arrayContaining(['HOST', 'REDIS_URL', 'DATABASE_URL']));
      expect(required.worker).toEqual(expect.arrayContaining(['HEALTH_HOST', 'REDIS_URL', 'DATABASE_URL']));
      const unset = (env: Map<string, ResolvedVariable>, names: string[]) =>
        names.filter((name) => !env.has(name) || /127\.0\.0\.1|localhost/.test(env.get(name)?.value ?? ''));
      expect(unset(ingestEnv, required.ingest)).toEqual([]);
      expect(unset(workerEnv, required.worker)).toEqual([]);
      expect(unset(migrateEnv, ['DATABASE_URL', 'MIGRATION_DATABASE_URL'])).toEqual([]);
    });

    it('takes API keys and connection URLs from Secrets, and gives the owner role only to the migration', () => {
      const notFromSecrets = (env: Map<string, ResolvedVariable>, names: string[]) =>
        names.filter((name) => env.get(name)?.source !== 'secret');
      expect(notFromSecrets(ingestEnv, ['REDIS_URL', 'DATABASE_URL', 'API_KEYS', 'ADMIN_API_KEYS'])).toEqual(
        [],
      );
      expect(notFromSecrets(workerEnv, ['REDIS_URL', 'DATABASE_URL'])).toEqual([]);
      expect(notFromSecrets(migrateEnv, ['MIGRATION_DATABASE_URL'])).toEqual([]);
      expect(workerEnv.has('MIGRATION_DATABASE_URL')).toBe(false);
      expect(ingestEnv.has('MIGRATION_DATABASE_URL')).toBe(false);
      // Every literal value in a container is a plain setting, never a credential-bearing URL.
      for (const env of [ingestEnv, workerEnv, migrateEnv]) {
        const literalUrls = [...env].filter(
          ([, variable]) => variable.source !== 'secret' && /:\/\/[^/]*@/.test(variable.value),
        );
        expect(literalUrls).toEqual([]);
      }
    });

    it('gives ingest API keys its key parsers accept (ingest stops at start on a malformed list)', () => {
      const apiKeys = ingestEnv.get('API_KEYS')?.value ?? '';
      expect(parseApiKeyList(apiKeys).length).toBeGreaterThan(0);
      expect(new AdminKeys(ingestEnv.get('ADMIN_API_KEYS')?.value).enabled).toBe(true);
    });

    it('runs the migration in an init container before the worker, and not again in the worker', () => {
      const spec = podSpec(objects, WORKER);
      expect(spec.initContainers.map((container: K8sObject) => container.command)).toEqual([
        ['node', '/app/dist/apps/worker/migrate.js'],
      ]);
      expect(validateEnvironment(WorkerConfig)(plainEnv(workerEnv)).DB_MIGRATE).toBe(false);
      const rollout = findObject(objects, 'Deployment', WORKER).spec.strategy.rollingUpdate;
      expect(rollout).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    });
  });

  describe('probes', () => {
    it("point at ingest's health routes on the port it listens on", () => {
      const container = mainContainer(objects, INGEST);
      const config = validateEnvironment(IngestConfig)(plainEnv(resolveContainerEnv(container, objects)));
      const base = Reflect.getMetadata(PATH_METADATA, HealthController) as string;
      const getRoutes = Object.getOwnPropertyNames(HealthController.prototype)
        .map((name) => (HealthController.prototype as unknown as Record<string, object>)[name])
        .filter((handler) => Reflect.getMetadata(METHOD_METADATA, handler) === RequestMethod.GET)
        .map((handler) => `/${base}/${Reflect.getMetadata(PATH_METADATA, handler)}`);
      expect(getRoutes.sort()).toEqual(['/health/live', '/health/ready']);
      expect(container.startupProbe.httpGet.path).toBe('/health/live');
      expect(container.livenessProbe.httpGet.path).toBe('/health/live');
      expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
      for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
        expect(containerPort(container, probe.httpGet.port)).toBe(config.PORT);
      }
    });

    it("point at the worker's health server, which answers them on HEALTH_PORT", async () => {
      const container = mainContainer(objects, WORKER);
      const config = validateEnvironment(WorkerConfig)(plainEnv(resolveContainerEnv(container, objects)));
      for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
        expect(containerPort(container, probe.httpGet.port)).toBe(config.HEALTH_PORT);
      }
      // The real health server, with its dependencies reporting healthy, on a free local port.
      const port = await freePort();
      const settings: Record<string, unknown> = { HEALTH_HOST: '127.0.0.1', HEALTH_PORT: port };
      const health = new WorkerHealthServer(
        { get: (key: string) => settings[key] } as never,
        { ping: async () => true, streamLength: async () => 0 } as never,
        { isReachable: async () => true } as never,
        { state: 'running' } as never,
        { isDatabaseAvailable: true } as never,
        {} as never,
        { groupInfo: async () => ({ pending: 0, lag: 0, consumers: 1 }) } as never,
      );
      await health.onApplicationBootstrap();
      try {
        for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
          const response = await fetch(`http://127.0.0.1:${port}${probe.httpGet.path}`, {
            signal: AbortSignal.timeout(5000),
          });
          expect({ path: probe.httpGet.path, status: response.status }).toEqual({
            path: probe.httpGet.path,
            status: 200,
          });
        }
        expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
      } finally {
        await health.onApplicationShutdown();
      }
    });
  });

  describe('pods', () => {
    const containersOf = (deployment: string) => {
      const spec = podSpec(objects, deployment);
      return [...(spec.initContainers ?? []), ...spec.containers] as K8sObject[];
    };

    it.each([INGEST, WORKER])(
      '%s runs as non-root with a read-only root, no capabilities and RuntimeDefault seccomp',
      (deployment) => {
        const spec = podSpec(objects, deployment);
        expect(spec.automountServiceAccountToken).toBe(false);
        expect(spec.securityContext.runAsNonRoot).toBe(true);
        expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
        expect(spec.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
        for (const container of containersOf(deployment)) {
          expect({ container: container.name, ...container.securityContext }).toEqual({
            container: container.name,
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          });
          // The one writable place is an emptyDir at /tmp.
          const mounts = container.volumeMounts.map((mount: K8sObject) => mount.mountPath);
          expect(mounts).toEqual(['/tmp']);
        }
        expect(spec.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
      },
    );

    it.each([
      [INGEST, 'ingest'],
      [WORKER, 'worker'],
    ])(
      "%s runs its bundle with the memory reducer off and the young generation's floor at NODE_OPTIONS' ceiling",
      (deployment, app) => {
        const container = podSpec(objects, deployment).containers[0];
        const env = resolveContainerEnv(container, objects);
        const ceiling = /--max-semi-space-size=(\d+)/.exec(env.get('NODE_OPTIONS')?.value ?? '')?.[1];
        expect(ceiling).toBeDefined();
        expect(container.command).toEqual([
          'node',
          '--no-memory-reducer',
          `--min-semi-space-size=${ceiling}`,
          `/app/dist/apps/${app}/main.js`,
        ]);
      },
    );

    it.each([INGEST, WORKER])(
      '%s has memory requests and limits, CPU requests, and a limit above its heap cap',
      (deployment) => {
        for (const container of containersOf(deployment)) {
          const { requests, limits } = container.resources;
          expect(requests.cpu).toMatch(/^\d+m?$/);
          expect(quantityBytes(limits.memory)).toBeGreaterThanOrEqual(quantityBytes(requests.memory));
          const env = resolveContainerEnv(container, objects);
          const oldSpaceCap = /--max-old-space-size=(\d+)/.exec(env.get('NODE_OPTIONS')?.value ?? '')?.[1];
          if (oldSpaceCap)
            expect(quantityBytes(limits.memory)).toBeGreaterThan(Number(oldSpaceCap) * MEBIBYTE);
        }
      },
    );

    it.each([
      [INGEST, IngestConfig],
      [WORKER, WorkerConfig],
    ] as const)('%s gets more time to stop than its preStop and shutdown budget', (deployment, schema) => {
      const spec = podSpec(objects, deployment);
      const container = spec.containers[0];
      const config = validateEnvironment<{ SHUTDOWN_TIMEOUT_MS: number }>(schema)(
        plainEnv(resolveContainerEnv(container, objects)),
      );
      const preStop = container.lifecycle?.preStop?.exec?.command as string[] | undefined;
      const preStopSeconds = preStop ? Number(preStop[1]) : 0;
      expect(spec.terminationGracePeriodSeconds).toBeGreaterThan(
        preStopSeconds + config.SHUTDOWN_TIMEOUT_MS / 1000,
      );
      if (deployment === INGEST) {
        // Ingest keeps serving while its endpoint is removed from the Service and the Ingress.
        expect(preStop?.[0]).toBe('sleep');
        expect(preStopSeconds).toBeGreaterThanOrEqual(3);
      }
    });

    it('scales ingest on CPU from two replicas, and keeps one of each app through a disruption', () => {
      const hpa = findObject(objects, 'HorizontalPodAutoscaler', INGEST);
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: INGEST });
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      expect(hpa.spec.metrics).toEqual([
        expect.objectContaining({ type: 'Resource', resource: expect.objectContaining({ name: 'cpu' }) }),
      ]);
      for (const name of [INGEST, WORKER]) {
        const pdb = findObject(objects, 'PodDisruptionBudget', name);
        const labels = findObject(objects, 'Deployment', name).spec.template.metadata.labels;
        expect(labels).toEqual(expect.objectContaining(pdb.spec.selector.matchLabels));
        const service = findObject(objects, 'Service', name);
        expect(labels).toEqual(expect.objectContaining(service.spec.selector));
        for (const port of service.spec.ports) containerPort(mainContainer(objects, name), port.targetPort);
      }
    });
  });

  describe('worker autoscaling', () => {
    it("scales the worker Deployment with KEDA on the lag of the apps' stream and consumer group", () => {
      const scaled = findObject(objects, 'ScaledObject', WORKER);
      const workerEnv = resolveContainerEnv(mainContainer(objects, WORKER), objects);
      const worker = validateEnvironment(WorkerConfig)(plainEnv(workerEnv));
      const ingest = validateEnvironment(IngestConfig)(
        plainEnv(resolveContainerEnv(mainContainer(objects, INGEST), objects)),
      );
      expect(scaled.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: WORKER });
      expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
      expect(scaled.spec.triggers).toHaveLength(1);
      const [trigger] = scaled.spec.triggers;
      expect(trigger.type).toBe('redis-streams');
      expect({ stream: trigger.metadata.stream, consumerGroup: trigger.metadata.consumerGroup }).toEqual({
        stream: worker.STREAM_KEY,
        consumerGroup: worker.STREAM_GROUP,
      });
      expect({ stream: ingest.STREAM_KEY, group: ingest.STREAM_GROUP }).toEqual({
        stream: worker.STREAM_KEY,
        group: worker.STREAM_GROUP,
      });
      // Lag mode: the entries not yet delivered to the group (the backlog), not the pending ones.
      expect(Number(trigger.metadata.lagCount)).toBeGreaterThan(0);
      expect(Number(trigger.metadata.activationLagCount)).toBeGreaterThanOrEqual(0);
      expect(trigger.metadata.pendingEntriesCount).toBeUndefined();
      // KEDA reads host:port from the worker container's environment: the Redis of REDIS_URL.
      const redisUrl = new URL(worker.REDIS_URL);
      expect(workerEnv.get(trigger.metadata.addressFromEnv)?.value).toBe(
        `${redisUrl.hostname}:${redisUrl.port || 6379}`,
      );
      // ... and the password of REDIS_URL (empty when it has none).
      expect(workerEnv.get(trigger.metadata.passwordFromEnv)?.value).toBe(
        decodeURIComponent(redisUrl.password),
      );
    });

    it('scales the worker without KEDA by an HPA on the lag gauge the worker exports', () => {
      const hpa = findObject(withoutKeda, 'HorizontalPodAutoscaler', WORKER);
      const scaled = findObject(objects, 'ScaledObject', WORKER);
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: WORKER });
      const [metric] = hpa.spec.metrics;
      expect(metric.type).toBe('External');
      const metrics = new WorkerMetrics({} as never, {} as never, {} as never);
      expect(metrics.registry.getSingleMetric(metric.external.metric.name)).toBeDefined();
      expect(metric.external.metric.name).toBe('logpipe_stream_consumer_lag');
      // The same target, bounds and scale-down damping as the KEDA variant.
      expect({
        target: Number(metric.external.target.averageValue),
        min: hpa.spec.minReplicas,
        max: hpa.spec.maxReplicas,
        behavior: hpa.spec.behavior,
      }).toEqual({
        target: Number(scaled.spec.triggers[0].metadata.lagCount),
        min: scaled.spec.minReplicaCount,
        max: scaled.spec.maxReplicaCount,
        behavior: scaled.spec.advanced.horizontalPodAutoscalerConfig.behavior,
      });
    });
  });

  describe('Ingress (ingress-nginx)', () => {
    let nginx: NginxLimits;
    beforeAll(() => {
      nginx = readNginxLimits();
    });
    const annotation = (ingress: K8sObject, name: string): string => {
      const value = ingress.metadata.annotations?.[`nginx.ingress.kubernetes.io/${name}`];
      if (value === undefined) throw new Error(`Ingress ${ingress.metadata.name} has no ${name} annotation`);
      return value;
    };

    it.each(['logpipe', 'logpipe-tail'])(
      '%s carries the body size, per-IP rate and timeouts of nginx/',
      (name) => {
        const ingress = findObject(objects, 'Ingress', name);
        const ingest = validateEnvironment(IngestConfig)(
          plainEnv(resolveContainerEnv(mainContainer(objects, INGEST), objects)),
        );
        expect(ingress.spec.ingressClassName).toBe('nginx');
        expect(nginxBytes(annotation(ingress, 'proxy-body-size'))).toBe(ingest.MAX_BODY_BYTES);
        const rps = Number(annotation(ingress, 'limit-rps'));
        expect(rps).toBe(nginx.rateLimitRps);
        expect(rps * Number(annotation(ingress, 'limit-burst-multiplier'))).toBe(nginx.rateLimitBurst);
        expect(Number(annotation(ingress, 'proxy-connect-timeout'))).toBe(nginx.connectTimeoutSeconds);
        expect(Number(annotation(ingress, 'proxy-send-timeout'))).toBe(nginx.sendTimeoutSeconds);
        const backends = ingress.spec.rules.flatMap((rule: K8sObject) =>
          rule.http.paths.map((path: K8sObject) => path.backend.service),
        );
        const service = findObject(objects, 'Service', INGEST);
        for (const backend of backends) {
          expect(backend.name).toBe(INGEST);
          expect(service.spec.ports.map((port: K8sObject) => port.name)).toContain(backend.port.name);
        }
      },
    );

    it('reads ordinary requests with the ordinary timeout and buffers their bodies', () => {
      const ingress = findObject(objects, 'Ingress', 'logpipe');
      expect(Number(annotation(ingress, 'proxy-read-timeout'))).toBe(nginx.readTimeoutSeconds);
      expect(annotation(ingress, 'client-body-buffer-size')).toBe(nginx.bodyBufferSize);
      expect(annotation(ingress, 'proxy-request-buffering')).toBe('on');
    });

    it('streams the live tail unbuffered with the long read timeout', () => {
      const tail = findObject(objects, 'Ingress', 'logpipe-tail');
      expect(tail.spec.rules.flatMap((rule: K8sObject) => rule.http.paths)).toEqual([
        expect.objectContaining({ path: '/api/logs/tail', pathType: 'Exact' }),
      ]);
      expect(annotation(tail, 'proxy-buffering')).toBe(nginx.tail.buffering);
      expect(nginx.tail.buffering).toBe('off');
      expect(Number(annotation(tail, 'proxy-read-timeout'))).toBe(nginx.tail.readTimeoutSeconds);
    });

    it('limits open tails per client address as nginx/ does (TAIL_MAX_PER_IP)', () => {
      const tail = findObject(objects, 'Ingress', 'logpipe-tail');
      expect(Number(annotation(tail, 'limit-connections'))).toBe(nginx.tail.maxPerIp);
    });

    it('routes neither the admin API nor /metrics, as nginx/ does not', () => {
      const paths = ['logpipe', 'logpipe-tail'].flatMap((name) =>
        findObject(objects, 'Ingress', name).spec.rules.flatMap(
          (rule: K8sObject) => rule.http.paths as K8sObject[],
        ),
      );
      const routed = (url: string) =>
        paths.some((path) =>
          path.pathType === 'Exact'
            ? url === path.path
            : url === path.path || url.startsWith(`${path.path}/`),
        );
      expect(['/api/admin/dead-letters', '/metrics'].filter(routed)).toEqual([]);
      expect(
        [
          '/api/log',
          '/api/logs',
          '/api/logs/tail',
          '/v1/logs',
          '/loki/api/v1/push',
          '/elasticsearch/_bulk',
        ].filter((url) => !routed(url)),
      ).toEqual([]);
    });
  });
});
