import Foundation
import Yams

/// A service's OpenAPI 3.1 document, served as JSON at `/openapi.json`.
///
/// Each service keeps its document as YAML beside its code; the runtime merges in the parts
/// every service shares (problem schema, pagination, error responses, health and metrics
/// routes, security schemes) from its own `openapi-common.yaml`, so those are written once.
public enum OpenAPIDocument {
    /// Loads `serviceDocument`, merges the common parts, and encodes the result as JSON.
    public static func json(serviceDocument: URL) throws -> Data {
        guard let common = Bundle.module.url(forResource: "openapi-common", withExtension: "yaml", subdirectory: "Resources") else {
            throw ConfigurationError("the runtime's openapi-common.yaml is missing from its resource bundle")
        }
        let merged = try self.merge(common: self.load(common), service: self.load(serviceDocument))
        return try JSONSerialization.data(withJSONObject: merged, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    static func load(_ url: URL) throws -> [String: Any] {
        let text = try String(contentsOf: url, encoding: .utf8)
        guard let document = self.plain(try Yams.load(yaml: text)) as? [String: Any] else {
            throw ConfigurationError("\(url.lastPathComponent) is not a YAML mapping")
        }
        return document
    }

    /// The service document with the common `paths` and `components` added (the service's own win).
    static func merge(common: [String: Any], service: [String: Any]) -> [String: Any] {
        var result = service
        for section in ["paths", "components"] {
            let base = common[section] as? [String: Any] ?? [:]
            var mine = service[section] as? [String: Any] ?? [:]
            for (key, value) in base {
                if let nested = value as? [String: Any], let existing = mine[key] as? [String: Any] {
                    mine[key] = nested.merging(existing) { _, own in own }
                } else if mine[key] == nil {
                    mine[key] = value
                }
            }
            result[section] = mine
        }
        if result["security"] == nil, let security = common["security"] { result["security"] = security }
        return result
    }

    /// YAML values as JSON-compatible Foundation values (mapping keys such as `200` become strings).
    ///
    /// A list inside a `parameters` list is spliced into it: YAML cannot concatenate lists, so
    /// documents write `- *list-parameters` among an operation's own parameters.
    static func plain(_ value: Any?) -> Any {
        switch value {
        case let mapping as [AnyHashable: Any]:
            var result: [String: Any] = [:]
            for (key, nested) in mapping {
                if "\(key.base)" == "parameters", let list = nested as? [Any] {
                    result["parameters"] = list.flatMap { item in (item as? [Any]) ?? [item] }.map { self.plain($0) }
                } else {
                    result["\(key.base)"] = self.plain(nested)
                }
            }
            return result
        case let mapping as [String: Any]:
            return mapping.mapValues { self.plain($0) }
        case let sequence as [Any]:
            return sequence.map { self.plain($0) }
        case .none:
            return NSNull()
        case .some(let scalar):
            return scalar
        }
    }
}
