import Logging
import Metrics
import Prometheus
import Synchronization

/// Process-wide logging and metrics set-up; swift-log and swift-metrics allow one bootstrap per process.
public enum Observability {
    private static let registryBox = Mutex<PrometheusCollectorRegistry?>(nil)

    /// Installs the JSON log handler and the Prometheus metrics factory (once; later calls do nothing).
    public static func bootstrap(service: String, level: Logger.Level) -> PrometheusCollectorRegistry {
        self.registryBox.withLock { existing in
            if let existing { return existing }
            LoggingSystem.bootstrap(
                { _, provider in JSONLogHandler(service: service, level: level, metadataProvider: provider) },
                metadataProvider: nil)
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            existing = registry
            return registry
        }
    }
}
