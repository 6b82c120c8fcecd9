import RosterRuntime

/// `roster-audience`: attributes, tags, groups, segments and the user projection.
@main
struct AudienceService {
    static func main() async {
        await ServiceRuntime.main(.audience, plan: buildPlan)
    }
}
