import Foundation
import RosterProtocol
import RosterRuntime

/// The body of `POST /attribute-definitions` and of `PUT`/`PATCH /attribute-definitions/{id}`.
///
/// Updates change the fields present; `slug` can never change, and `type` not while the
/// definition is locked.
struct AttributeDefinitionInput: Decodable, Sendable {
    var name: PatchField<String> = .absent
    var slug: PatchField<String> = .absent
    var description: PatchField<String> = .absent
    var type: PatchField<String> = .absent
    var validations: PatchField<JSONValue> = .absent
    var defaultValue: PatchField<JSONValue> = .absent
    var encrypted: PatchField<Bool> = .absent
    var pinned: PatchField<Bool> = .absent
    var pinOrder: PatchField<Int> = .absent
    var customerEditable: PatchField<Bool> = .absent
    var isLocked: PatchField<Bool> = .absent
    var searchable: PatchField<Bool> = .absent

    enum CodingKeys: String, CodingKey {
        case name, slug, description, type, validations, defaultValue, encrypted, pinned, pinOrder, customerEditable, isLocked, searchable
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.name = try container.decodePatch(String.self, forKey: .name)
        self.slug = try container.decodePatch(String.self, forKey: .slug)
        self.description = try container.decodePatch(String.self, forKey: .description)
        self.type = try container.decodePatch(String.self, forKey: .type)
        self.validations = try container.decodePatch(JSONValue.self, forKey: .validations)
        self.defaultValue = try container.decodePatch(JSONValue.self, forKey: .defaultValue)
        self.encrypted = try container.decodePatch(Bool.self, forKey: .encrypted)
        self.pinned = try container.decodePatch(Bool.self, forKey: .pinned)
        self.pinOrder = try container.decodePatch(Int.self, forKey: .pinOrder)
        self.customerEditable = try container.decodePatch(Bool.self, forKey: .customerEditable)
        self.isLocked = try container.decodePatch(Bool.self, forKey: .isLocked)
        self.searchable = try container.decodePatch(Bool.self, forKey: .searchable)
    }

    static var slugPattern: Regex<Substring> { /^[a-z][a-z0-9_]{0,62}$/ }

    /// A new definition from this input, or 422 naming every broken rule.
    func makeDefinition(applicationID: EntityID) throws -> AttributeDefinition {
        var errors: [Problem.FieldError] = []
        if self.name.value == nil { errors.append(.init(field: "name", code: "required", message: "is required")) }
        if self.type.value == nil { errors.append(.init(field: "type", code: "required", message: "is required")) }
        let slug = self.slug.value ?? ""
        if slug.wholeMatch(of: Self.slugPattern) == nil {
            errors.append(
                .init(field: "slug", code: "invalid", message: "is required: a lowercase letter, then up to 62 lowercase letters, digits or _"))
        }
        let now = Date()
        var definition = AttributeDefinition(
            id: .generate(), applicationID: applicationID, slug: slug, name: "", description: "", type: .string, rules: .init(),
            defaultValue: nil, encrypted: false, pinned: false, pinOrder: nil, customerEditable: false, isLocked: false,
            searchable: false, indexState: "none", version: 1, createdAt: now, updatedAt: now)
        self.apply(to: &definition, errors: &errors)
        guard errors.isEmpty else { throw Problem.validation("The attribute definition is not valid.", errors: errors) }
        return definition
    }

    /// Applies the present fields to `definition`, or throws 422 naming every broken rule.
    func update(_ definition: inout AttributeDefinition) throws {
        var errors: [Problem.FieldError] = []
        if let slug = self.slug.value, slug != definition.slug {
            errors.append(.init(field: "slug", code: "immutable", message: "cannot change once created"))
        }
        if self.slug.isPresent, self.slug.value == nil {
            errors.append(.init(field: "slug", code: "immutable", message: "cannot change once created"))
        }
        let wasLocked = definition.isLocked
        if wasLocked, let type = self.type.value, type != definition.type.rawValue, self.isLocked.value != false {
            errors.append(.init(field: "type", code: "locked", message: "cannot change while the definition is locked"))
        }
        self.apply(to: &definition, errors: &errors)
        guard errors.isEmpty else { throw Problem.validation("The attribute definition is not valid.", errors: errors) }
    }

    private func apply(to definition: inout AttributeDefinition, errors: inout [Problem.FieldError]) {
        func text(_ field: PatchField<String>, _ name: String, range: ClosedRange<Int>, nullable: Bool) -> String?? {
            switch field {
            case .absent: return .none
            case .null:
                if !nullable { errors.append(.init(field: name, code: "required", message: "cannot be null")) }
                return .some(nil)
            case .value(let value):
                let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
                guard range.contains(trimmed.count), !trimmed.contains("\u{0}") else {
                    errors.append(.init(field: name, code: "invalid", message: "must be \(range.lowerBound) to \(range.upperBound) characters"))
                    return .none
                }
                return .some(trimmed)
            }
        }
        if case .some(let name?) = text(self.name, "name", range: 1...200, nullable: false) { definition.name = name }
        if case .some(let description) = text(self.description, "description", range: 0...2000, nullable: true) {
            definition.description = description ?? ""
        }
        let previousType = definition.type
        switch self.type {
        case .absent: break
        case .null: errors.append(.init(field: "type", code: "required", message: "cannot be null"))
        case .value(let name):
            if let type = AttributeType(rawValue: name) {
                definition.type = type
            } else {
                let names = AttributeType.allCases.map(\.rawValue).joined(separator: ", ")
                errors.append(.init(field: "type", code: "invalid_type", message: "must be one of \(names)"))
            }
        }
        let typeChanged = definition.type != previousType
        // Rules are checked against the (possibly new) type; a new type needs its rules again.
        switch self.validations {
        case .absent where typeChanged && !definition.rules.kinds.isEmpty:
            errors.append(.init(field: "validations", code: "required", message: "must be given again when the type changes"))
        case .absent:
            if definition.type == .enumeration, definition.rules.allowedValues == nil {
                errors.append(.init(field: "validations", code: "required", message: "an enum attribute needs an allowedValues rule"))
            }
        case .null: definition.rules = AttributeRules(parsing: .array([]), type: definition.type, errors: &errors)
        case .value(let raw): definition.rules = AttributeRules(parsing: raw, type: definition.type, errors: &errors)
        }
        if let flag = self.encrypted.value { definition.encrypted = flag }
        if let flag = self.pinned.value { definition.pinned = flag }
        switch self.pinOrder {
        case .absent: break
        case .null: definition.pinOrder = nil
        case .value(let order):
            if (0...100_000).contains(order) {
                definition.pinOrder = order
            } else {
                errors.append(.init(field: "pinOrder", code: "invalid", message: "must be from 0 to 100000"))
            }
        }
        if let flag = self.customerEditable.value { definition.customerEditable = flag }
        if let flag = self.isLocked.value { definition.isLocked = flag }
        if let flag = self.searchable.value { definition.searchable = flag }
        for (field, value) in [("encrypted", self.encrypted), ("pinned", self.pinned), ("customerEditable", self.customerEditable),
            ("isLocked", self.isLocked), ("searchable", self.searchable)] where value.isPresent && value.value == nil {
            errors.append(.init(field: field, code: "required", message: "must be true or false"))
        }
        if definition.searchable, definition.encrypted {
            errors.append(.init(field: "searchable", code: "encrypted_not_searchable", message: "an encrypted attribute cannot be searchable"))
        }
        if definition.searchable, !definition.type.isIndexable {
            errors.append(.init(field: "searchable", code: "not_indexable", message: "\(definition.type.rawValue) attributes cannot be searchable"))
        }
        switch self.defaultValue {
        case .absent, .null:
            if case .null = self.defaultValue { definition.defaultValue = nil }
        case .value(let raw):
            definition.defaultValue = raw
        }
        // The default must pass the definition's own rules (re-checked when they change).
        if let raw = definition.defaultValue, errors.isEmpty {
            switch AttributeValidator(definition).coerce(raw) {
            case .success(let stored): definition.defaultValue = stored?.json
            case .failure(let error): errors.append(.init(field: "defaultValue", code: error.code, message: error.message))
            }
        }
    }
}
