import type { PlatformNames } from '../../naming/naming';

/** Jaeger's own metrics port (OpenTelemetry collector telemetry). */
export const JAEGER_METRICS_PORT = 8888;
/** healthcheckv2 extension port (the pods' probes). */
export const JAEGER_HEALTH_PORT = 13133;

/**
 * Jaeger v2 configuration (OTLP gRPC/HTTP receivers, query UI, health and metrics endpoints) for a given trace
 * storage backend: the cluster uses Badger on a volume, the local compose stack memory. One function, so the two
 * cannot drift apart.
 */
export function jaegerConfig(names: PlatformNames, storage: Record<string, unknown>): Record<string, unknown> {
  const collector = names.services.tracing;
  const query = names.services.tracingQuery;
  return {
    service: {
      extensions: ['jaeger_storage', 'jaeger_query', 'healthcheckv2'],
      pipelines: { traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] } },
      telemetry: { metrics: { level: 'detailed', readers: [{ pull: { exporter: { prometheus: { host: '0.0.0.0', port: JAEGER_METRICS_PORT } } } }] } },
    },
    extensions: {
      healthcheckv2: { use_v2: true, http: { endpoint: `0.0.0.0:${JAEGER_HEALTH_PORT}` } },
      jaeger_query: { storage: { traces: 'main' }, http: { endpoint: `0.0.0.0:${query.port}` } },
      jaeger_storage: { backends: { main: storage } },
    },
    receivers: { otlp: { protocols: { grpc: { endpoint: `0.0.0.0:${collector.port}` }, http: { endpoint: `0.0.0.0:${collector.httpPort}` } } } },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: 'main' } },
  };
}
