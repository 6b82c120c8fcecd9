/// The seven notification types of seed 004, given to an application the first time it uses
/// notifications (when `notification.exampleTypes` is on), so the platform works out of the box.
enum ExampleTypes {
    static let all: [(code: String, name: String, description: String)] = [
        ("new_campaign", "New campaign", "A new campaign is available."),
        ("end_campaign", "End campaign", "A campaign you take part in has ended."),
        ("near_campaign", "Near campaign", "A campaign near you."),
        ("cause_campaign", "Causes", "A campaign for a cause."),
        ("profile_status", "Profile status", "Your profile's status changed."),
        ("post_status", "Post status", "The status of your post changed."),
        ("update_balance", "Update balance", "Your balance changed."),
    ]
}
