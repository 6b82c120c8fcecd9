import Foundation

/// Prints the generated bootstrap API key, once, straight to standard output.
///
/// Deliberately not a log line: it is shown to the operator on the first start only and is
/// never written by the logger (log shippers must not collect secrets).
enum BootstrapBanner {
    static func print(apiKey: String) {
        let text = """

            ================================================================================
             Roster created the default application. Its admin API key (shown only once):

                 \(apiKey)

             Use it as: Authorization: Bearer <key>   (store it now; it cannot be shown again)
            ================================================================================

            """
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
