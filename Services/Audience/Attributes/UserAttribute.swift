import Foundation
import RosterProtocol
import RosterRuntime

/// One attribute of one user as the API shows it: the stored value, or the definition's
/// default when the user has none. Encrypted values are masked unless opened on purpose.
struct UserAttribute: Encodable, Sendable, KeysetPageable {
    var definitionId: EntityID
    var slug: String
    var name: String
    var type: AttributeType
    var value: JSONValue
    /// `true` when `value` is the definition's default (the user has no value).
    var isDefault: Bool
    var encrypted: Bool
    /// `true` when an encrypted value is hidden in this answer.
    var masked: Bool
    var customerEditable: Bool
    var pinned: Bool
    /// Who wrote the value: `admin`, `user` (the user themselves) or `bulk`.
    var updatedBy: String?
    var updatedAt: Date?

    var id: EntityID { self.definitionId }

    func sortValue(for field: String) -> String? {
        field == "slug" ? self.slug : nil
    }
}

/// A stored value row, before it is opened or masked.
struct StoredAttributeRow: Sendable {
    var value: JSONValue?
    var sealed: Data?
    var keyID: String?
    var updatedBy: String
    var updatedAt: Date
}
