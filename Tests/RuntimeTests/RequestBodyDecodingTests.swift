import Foundation
import Testing

@testable import RosterRuntime

@Suite struct RequestBodyDecodingTests {
    @Test func nulEscapesAreFoundButEscapedBackslashesAreNot() {
        #expect(RequestBodyDecoding.containsEscapedNUL(Data(#"{"a":"x\u0000y"}"#.utf8)))
        #expect(RequestBodyDecoding.containsEscapedNUL(Data(#"{"a":"\\\u0000"}"#.utf8)))
        #expect(!RequestBodyDecoding.containsEscapedNUL(Data(#"{"a":"\\u0000"}"#.utf8)))
        #expect(!RequestBodyDecoding.containsEscapedNUL(Data(#"{"a":"u0000"}"#.utf8)))
    }

    @Test func jsonMediaTypes() {
        #expect(RequestBodyDecoding.isJSON("application/json"))
        #expect(RequestBodyDecoding.isJSON("application/json; charset=utf-8"))
        #expect(RequestBodyDecoding.isJSON("application/merge-patch+json"))
        #expect(!RequestBodyDecoding.isJSON("text/plain"))
        #expect(!RequestBodyDecoding.isJSON("application/x-www-form-urlencoded"))
    }

    @Test func decodingErrorsNameTheField() throws {
        struct Body: Decodable { var user: Inner }
        struct Inner: Decodable { var tags: [String] }
        do {
            _ = try JSONDecoder().decode(Body.self, from: Data(#"{"user":{"tags":["a",5]}}"#.utf8))
            Issue.record("decoding should fail")
        } catch let error as DecodingError {
            let problem = RequestBodyDecoding.problem(for: error)
            #expect(problem.status == 400)
            #expect(problem.errors?.first?.field == "user.tags[1]")
        }
    }
}
