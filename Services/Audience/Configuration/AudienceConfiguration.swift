import Foundation
import RosterRuntime

/// The audience service's own settings.
struct AudienceConfiguration: Sendable {
    var sealer: AttributeSealer

    init(reader: SettingsReader) throws {
        self.sealer = try AttributeSealer(keyList: reader.string(.attributeEncryptionKeys))
    }
}
