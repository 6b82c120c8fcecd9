import RosterRuntime

/// `roster-notification`: settings, inbox, sends and broadcasts, email and webhook delivery.
@main
struct NotificationService {
    static func main() async {
        await ServiceRuntime.main(.notification, plan: buildPlan)
    }
}
