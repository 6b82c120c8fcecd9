import RosterRuntime

/// `roster-users`: accounts, sign-in, applications, API keys.
@main
struct UsersService {
    static func main() async {
        await ServiceRuntime.main(.users, plan: buildPlan)
    }
}
