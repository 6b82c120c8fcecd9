import Foundation
import HTTPTypes

/// The cookies of browser mode: the access token for every request, the refresh token only
/// for `/api/v1/auth`. Both HttpOnly and Secure; SameSite as configured.
public enum SessionCookies {
    public static let access = "roster_access"
    public static let refresh = "roster_refresh"

    /// The value of cookie `name` in the request's `Cookie` headers.
    public static func value(_ name: String, in headers: HTTPFields) -> String? {
        for header in headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }

    /// A `Set-Cookie` value; `maxAge` 0 deletes the cookie.
    public static func setCookie(_ name: String, value: String, path: String, maxAge: Int, sameSite: String) -> String {
        "\(name)=\(value); Path=\(path); Max-Age=\(maxAge); HttpOnly; Secure; SameSite=\(sameSite)"
    }
}
