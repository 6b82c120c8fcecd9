import Foundation
import RosterProtocol
import Testing

@testable import RosterRuntime

@Suite struct ProtocolTests {
    @Test func idsAreVersion7AndTimeOrdered() {
        let earlier = EntityID.generate(now: Date(timeIntervalSince1970: 1_700_000_000))
        let later = EntityID.generate(now: Date(timeIntervalSince1970: 1_700_000_001))
        #expect(earlier < later)
        #expect(earlier.description == earlier.description.lowercased())
        #expect(Array(earlier.description)[14] == "7")
        #expect(EntityID(earlier.description.uppercased()) == earlier)
        #expect(EntityID("not-a-uuid") == nil)
    }

    @Test func timestampsPrintExactMilliseconds() {
        let date = RosterJSON.parseTimestamp("2024-01-15T10:00:00.123Z")!
        #expect(RosterJSON.formatTimestamp(date) == "2024-01-15T10:00:00.123Z")
        #expect(RosterJSON.formatTimestamp(RosterJSON.parseTimestamp("2024-01-15T10:00:00Z")!) == "2024-01-15T10:00:00.000Z")
        for milliseconds in stride(from: 0, to: 1000, by: 7) {
            let text = "2026-11-23T01:02:03." + String(format: "%03d", milliseconds) + "Z"
            #expect(RosterJSON.formatTimestamp(RosterJSON.parseTimestamp(text)!) == text)
        }
    }

    @Test func timestampsMatchFoundationAcrossCalendarEdges() {
        // Leap days, year ends, before 1970, and a spread of random instants, against Foundation's own formatter.
        let edges: [TimeInterval] = [0, -1, -86_400, 951_782_400, 951_868_799.999, 1_709_164_800, 4_107_542_399, -2_208_988_800, 253_402_300_799]
        var generator = SystemRandomNumberGenerator()
        let random = (0..<2000).map { _ in TimeInterval(Int64.random(in: -2_000_000_000...4_000_000_000, using: &generator)) + 0.25 }
        for seconds in edges + random {
            let date = Date(timeIntervalSince1970: seconds.rounded(.down))
            let expected = String(date.formatted(Date.ISO8601FormatStyle()).dropLast()) + ".000Z"
            #expect(RosterJSON.formatTimestamp(date) == expected, "\(seconds)")
        }
        #expect(RosterJSON.formatPreciseTimestamp(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500000Z")
    }

    @Test func problemsEncodeAsRFC9457() throws {
        let problem = Problem.validation("email must be an email address.", errors: [.init(field: "email", code: "invalid_email", message: "x")])
        let json = try JSONSerialization.jsonObject(with: RosterJSON.makeEncoder().encode(problem)) as! [String: Any]
        #expect(json["type"] as? String == "https://roster.dev/problems/validation-error")
        #expect(json["status"] as? Int == 422)
        #expect(json["code"] as? String == "validation_error")
        #expect((json["errors"] as? [[String: Any]])?.first?["field"] as? String == "email")
    }

    @Test func traceparentIsKeptOrCreated() {
        let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let metadata = RequestMetadata(requestID: "r1", traceparent: incoming)
        #expect(metadata.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        let outgoing = metadata.outgoingTraceparent()
        #expect(outgoing.hasPrefix("00-4bf92f3577b34da6a3ce929d0e0e4736-") && outgoing.hasSuffix("-01"))
        #expect(!outgoing.contains("00f067aa0ba902b7"))
        let fresh = RequestMetadata(requestID: "r2", traceparent: "garbage")
        #expect(fresh.traceID.count == 32 && fresh.traceID != metadata.traceID)
        for invalid in [
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // version ff is forbidden
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // all-zero parent
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // all-zero trace
            "00-４bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",  // fullwidth digit
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // upper case
        ] {
            #expect(RequestMetadata(requestID: "r", traceparent: invalid).traceID != "4bf92f3577b34da6a3ce929d0e0e4736")
        }
    }

    @Test func requestIDsAreValidated() {
        #expect(RequestMetadata.isValidRequestID("abc-123_x.y:z"))
        #expect(!RequestMetadata.isValidRequestID(""))
        #expect(!RequestMetadata.isValidRequestID("has space"))
        #expect(!RequestMetadata.isValidRequestID("line\nbreak"))
        #expect(!RequestMetadata.isValidRequestID(String(repeating: "a", count: 129)))
    }
}
