import Foundation
import RosterProtocol
import RosterRuntime

/// A custom attribute of an application's users (seed 002): how its values are typed,
/// validated, protected and searched.
struct AttributeDefinition: Sendable {
    var id: EntityID
    var applicationID: EntityID
    var slug: String
    var name: String
    var description: String
    var type: AttributeType
    var rules: AttributeRules
    var defaultValue: JSONValue?
    var encrypted: Bool
    var pinned: Bool
    var pinOrder: Int?
    var customerEditable: Bool
    var isLocked: Bool
    var searchable: Bool
    /// State of the searchable index: none, building, ready, failed.
    var indexState: String
    var version: Int
    var createdAt: Date
    var updatedAt: Date

    /// The name of the partial index that makes a definition's values searchable.
    static func indexName(_ id: EntityID) -> String {
        "attribute_values_d_" + id.description.replacingOccurrences(of: "-", with: "")
    }
}

extension AttributeDefinition: Encodable {
    enum CodingKeys: String, CodingKey {
        case id, name, slug, description, type, validations, defaultValue, encrypted, pinned, pinOrder, customerEditable, isLocked,
            searchable, searchIndex, version, createdAt, updatedAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.id, forKey: .id)
        try container.encode(self.name, forKey: .name)
        try container.encode(self.slug, forKey: .slug)
        try container.encode(self.description, forKey: .description)
        try container.encode(self.type, forKey: .type)
        try container.encode(self.rules.list, forKey: .validations)
        try container.encode(self.defaultValue ?? .null, forKey: .defaultValue)
        try container.encode(self.encrypted, forKey: .encrypted)
        try container.encode(self.pinned, forKey: .pinned)
        try container.encode(self.pinOrder, forKey: .pinOrder)
        try container.encode(self.customerEditable, forKey: .customerEditable)
        try container.encode(self.isLocked, forKey: .isLocked)
        try container.encode(self.searchable, forKey: .searchable)
        try container.encode(self.indexState, forKey: .searchIndex)
        try container.encode(self.version, forKey: .version)
        try container.encode(self.createdAt, forKey: .createdAt)
        try container.encode(self.updatedAt, forKey: .updatedAt)
    }
}

extension AttributeDefinition: KeysetPageable {
    func sortValue(for field: String) -> String? {
        switch field {
        case "createdAt": RosterJSON.formatTimestamp(self.createdAt)
        case "updatedAt": RosterJSON.formatTimestamp(self.updatedAt)
        case "slug": self.slug
        default: nil
        }
    }
}
