import Foundation
import RosterRuntime

/// The audience service's own settings.
struct AudienceConfiguration: Sendable {
    var sealer: AttributeSealer
    /// 0: rules with relative times are not recalculated on a timer.
    var timeRefreshSeconds: Int

    init(reader: SettingsReader) throws {
        self.sealer = try AttributeSealer(keyList: reader.string(.encryptionKeys))
        self.timeRefreshSeconds = try reader.int(.rulesTimeRefreshSeconds, in: 0...86_400)
    }
}
