import RosterRuntime

/// `roster-verification`: verification codes for email, password reset, email change and phone.
@main
struct VerificationService {
    static func main() async {
        await ServiceRuntime.main(.verification, plan: buildPlan)
    }
}
