import RosterProtocol

extension Setting {
    public static let httpHost = Setting("http.host", default: "127.0.0.1", summary: "Address the HTTP server binds to (`0.0.0.0` in containers).")
    public static let httpPort = Setting(
        "http.port", summary: "Port of the HTTP server. Defaults: users 8081, audience 8082, verification 8083, notification 8084.")
    public static let httpMaxBodyBytes = Setting(
        "http.maxBodyBytes", default: "1048576", summary: "Largest request body accepted; larger bodies get 413.")
    public static let httpMaxUploadBytes = Setting(
        "http.maxUploadBytes", default: "67108864",
        summary: "Largest `text/csv` or `multipart/form-data` upload (spooled to a file, then streamed); JSON bulk bodies take up to 16 MiB, or this if smaller.")
    public static let httpIdleTimeoutSeconds = Setting(
        "http.idleTimeoutSeconds", default: "75", summary: "Idle keep-alive connections are closed after this many seconds.")
    public static let databaseURL = Setting(
        "database.url", secret: true, required: true,
        summary: "`postgres://role:password@host:5432/db` of this service's own role; `?sslmode=require` for TLS.")
    public static let databaseReadURL = Setting(
        "database.readUrl", secret: true,
        summary: "`postgres://…` of a read replica (hot standby) of this service's database: list, search, export and statistics endpoints read there, read-only; unset: they use `database.url`.")
    public static let databasePoolSize = Setting("database.poolSize", default: "10", summary: "Most PostgreSQL connections this process opens.")
    public static let logLevel = Setting("log.level", default: "info", summary: "`trace`, `debug`, `info`, `notice`, `warning`, `error` or `critical`.")
    public static let serviceSecret = Setting(
        "service.secret", secret: true, required: true,
        summary: "Shared deployment secret (32+ characters) that signs service tokens for `/internal/*` calls.")
    public static let drainSeconds = Setting(
        "service.drainSeconds", default: "25", summary: "On SIGTERM, in-flight requests get this long to finish before the process stops.")
    public static let usersURL = Setting("users.url", default: "http://127.0.0.1:8081", summary: "Base URL of the users service.")
    public static let audienceURL = Setting("audience.url", default: "http://127.0.0.1:8082", summary: "Base URL of the audience service.")
    public static let verificationURL = Setting(
        "verification.url", default: "http://127.0.0.1:8083", summary: "Base URL of the verification service.")
    public static let notificationURL = Setting(
        "notification.url", default: "http://127.0.0.1:8084", summary: "Base URL of the notification service.")
    public static let internalTimeoutMs = Setting(
        "internal.timeoutMs", default: "5000", summary: "Timeout of one internal HTTP call, in milliseconds.")
    public static let internalRetries = Setting(
        "internal.retries", default: "2", summary: "Retries of an idempotent internal call after a connection error or 502/503/504.")
    public static let outboxBatchSize = Setting("outbox.batchSize", default: "100", summary: "Events sent to a subscriber per request.")
    public static let outboxMaxBackoffSeconds = Setting(
        "outbox.maxBackoffSeconds", default: "300", summary: "Longest wait between retries of an undelivered event.")
    public static let pollSeconds = Setting(
        "service.pollSeconds", default: "1", summary: "How often workers look for due work when no notification woke them.")
    public static let jwksRefreshSeconds = Setting(
        "auth.jwksRefreshSeconds", default: "300", summary: "How long the users service's JWKS is cached; an unknown `kid` refreshes it sooner.")
    public static let apiKeyCacheSeconds = Setting(
        "auth.apiKeyCacheSeconds", default: "30", summary: "How long an API key introspection answer is cached (revocation takes effect within this time).")
    public static let jobsConcurrency = Setting("jobs.concurrency", default: "2", summary: "Jobs one process runs at the same time.")
    public static let accessTokenSeconds = Setting(
        "tokens.accessTtlSeconds", default: "900", services: [.users],
        summary: "Lifetime of an access JWT; a ban or logout takes full effect within it.")
    public static let refreshTokenSeconds = Setting(
        "tokens.refreshTtlSeconds", default: "2592000", services: [.users],
        summary: "A session ends after this long without a refresh.")
    public static let bcryptCost = Setting("auth.bcryptCost", default: "12", services: [.users], summary: "bcrypt cost of password hashes (12 or more).")
    public static let hashThreads = Setting(
        "auth.hashThreads", default: "1", services: [.users],
        summary: "Threads that hash passwords, apart from the event loops (keeps sign-ins from starving other requests).")
    public static let hashQueueLimit = Setting(
        "auth.hashQueueLimit", default: "64", services: [.users],
        summary: "Password checks allowed to wait for a hashing thread; beyond it 429 `busy` with Retry-After.")
    public static let lockoutThreshold = Setting(
        "auth.lockoutThreshold", default: "5", services: [.users],
        summary: "Failed sign-ins of one account before it is locked.")
    public static let addressLockoutThreshold = Setting(
        "auth.addressLockoutThreshold", default: "50", services: [.users],
        summary: "Failed sign-ins from one client address before it is locked (higher: many users may share an address).")
    public static let lockoutBaseSeconds = Setting(
        "auth.lockoutBaseSeconds", default: "30", services: [.users],
        summary: "First lock's length; each further failure doubles it.")
    public static let lockoutMaxSeconds = Setting(
        "auth.lockoutMaxSeconds", default: "3600", services: [.users], summary: "Longest lock.")
    public static let loginPerMinute = Setting(
        "auth.loginPerMinute", default: "30", services: [.users], summary: "Sign-in attempts per client address and minute.")
    public static let emailCheckPerMinute = Setting(
        "auth.emailCheckPerMinute", default: "10", services: [.users], summary: "Email availability checks per client address and minute.")
    public static let cookieSameSite = Setting(
        "auth.cookieSameSite", default: "Strict", services: [.users],
        summary: "SameSite of the browser-mode cookies: `Strict`, `Lax` or `None`.")
    public static let presenceOnlineSeconds = Setting(
        "presence.onlineSeconds", default: "60", services: [.users],
        summary: "How long after their last heartbeat a user counts as online.")
    public static let presenceTypingSeconds = Setting(
        "presence.typingSeconds", default: "10", services: [.users],
        summary: "How long a typing status lasts unless renewed or cleared.")
    public static let bootstrapAPIKey = Setting(
        "bootstrap.apiKey", secret: true, services: [.users],
        summary: "Admin API key of the default application, used only on the very first start; when unset one is generated and printed once.")

    public static let encryptionKeys = Setting(
        "encryption.keys", secret: true, required: true, services: [.audience, .verification, .notification],
        summary: "Keys that seal data at rest (AES-256-GCM) — encrypted attribute values, codes waiting for delivery, message variables and bodies, webhook secrets: `id:base64-32-bytes[,id:key...]`; the first seals, all open (rotation).")
    public static let rulesTimeRefreshSeconds = Setting(
        "rules.timeRefreshSeconds", default: "900", services: [.audience],
        summary: "How often dynamic groups and segments whose rules name a time ago (`7d`) are recalculated, since time alone moves users in and out of them; 0 turns it off.")

    public static let notificationExampleTypes = Setting(
        "notification.exampleTypes", default: "1", services: [.notification],
        summary: "1: an application gets seed 004's seven notification types (`new_campaign`, ...) the first time it uses notifications; 0: it starts with an empty catalog.")
    public static let deliveryAttempts = Setting(
        "notification.deliveryAttempts", default: "8", services: [.notification],
        summary: "Attempts of one email, SMS or webhook delivery (exponential backoff with jitter, at most 5 minutes apart) before it is dead-lettered.")
    public static let deliveryConcurrency = Setting(
        "notification.deliveryConcurrency", default: "4", services: [.notification],
        summary: "Deliveries one process sends at the same time, apart from the other jobs (a flood of emails never holds up a broadcast's fan-out).")
    public static let webhookPrivateNetworks = Setting(
        "notification.webhookPrivateNetworks", default: "0", services: [.notification],
        summary: "1: webhook URLs may reach loopback, private and link-local addresses (a receiver inside your own network); 0: they are refused, when the endpoint is set and before every delivery, so an application's webhook cannot reach the platform's own services or a cloud metadata address.")
    public static let smtpHost = Setting(
        "smtp.host", services: [.notification],
        summary: "SMTP server for email; unset keeps every email in the dev mailbox (`GET /api/v1/notifications/mailbox`).")
    public static let smtpPort = Setting("smtp.port", default: "587", services: [.notification], summary: "Port of the SMTP server.")
    public static let smtpSecurity = Setting(
        "smtp.security", default: "starttls", services: [.notification],
        summary: "`starttls` (required upgrade), `tls` (implicit TLS, port 465) or `none` (plain, for a local relay or sink only).")
    public static let smtpUsername = Setting("smtp.username", services: [.notification], summary: "SMTP user (AUTH PLAIN); unset sends without AUTH.")
    public static let smtpPassword = Setting("smtp.password", secret: true, services: [.notification], summary: "SMTP password.")
    public static let smtpCAFile = Setting(
        "smtp.caFile", services: [.notification],
        summary: "PEM file of CA certificates trusted for the SMTP server besides the system's (a private relay).")
    public static let smtpFrom = Setting(
        "smtp.from", default: "Roster <no-reply@roster.invalid>", services: [.notification], summary: "Sender of every email (`From`).")

    public static let registrationCodeMinutes = Setting(
        "verification.registrationMinutes", default: "1440", services: [.verification],
        summary: "Lifetime of an email verification code (`REGR`), in minutes.")
    public static let passwordResetCodeMinutes = Setting(
        "verification.passwordResetMinutes", default: "30", services: [.verification],
        summary: "Lifetime of a password reset code (`RPWR`), in minutes.")
    public static let emailChangeCodeMinutes = Setting(
        "verification.emailChangeMinutes", default: "60", services: [.verification],
        summary: "Lifetime of an email change code (`EMCH`), in minutes.")
    public static let phoneCodeMinutes = Setting(
        "verification.phoneMinutes", default: "10", services: [.verification],
        summary: "Lifetime of a phone verification code (`PHON`), in minutes.")
    public static let resendCooldownSeconds = Setting(
        "verification.resendCooldownSeconds", default: "60", services: [.verification],
        summary: "A new code of a type to the same address waits this long after the previous one, whoever asks (429 with Retry-After); administrators' resends are exempt.")
    public static let verificationLinkURL = Setting(
        "verification.linkUrl", services: [.verification],
        summary: "Page of your front end that confirms a link (`<url>?type=REGR&token=...`, then `POST /api/v1/auth/email/verify`); unset sends codes only.")
    public static let verificationDeliveryAttempts = Setting(
        "verification.deliveryAttempts", default: "50", services: [.verification],
        summary: "Attempts to hand a code to the notification service (backoff up to 5 minutes apart) before giving up; a code past its expiry is not sent.")

    /// Every setting any service reads, in the order of the README table.
    public static let catalog: [Setting] = [
        .httpHost, .httpPort, .httpMaxBodyBytes, .httpMaxUploadBytes, .httpIdleTimeoutSeconds,
        .databaseURL, .databaseReadURL, .databasePoolSize,
        .logLevel,
        .serviceSecret, .drainSeconds, .pollSeconds,
        .usersURL, .audienceURL, .verificationURL, .notificationURL,
        .internalTimeoutMs, .internalRetries,
        .outboxBatchSize, .outboxMaxBackoffSeconds,
        .jwksRefreshSeconds, .apiKeyCacheSeconds,
        .jobsConcurrency,
        .bootstrapAPIKey,
        .accessTokenSeconds, .refreshTokenSeconds,
        .bcryptCost, .hashThreads, .hashQueueLimit,
        .lockoutThreshold, .addressLockoutThreshold, .lockoutBaseSeconds, .lockoutMaxSeconds,
        .loginPerMinute, .emailCheckPerMinute, .cookieSameSite,
        .presenceOnlineSeconds, .presenceTypingSeconds,
        .encryptionKeys, .rulesTimeRefreshSeconds,
        .registrationCodeMinutes, .passwordResetCodeMinutes, .emailChangeCodeMinutes, .phoneCodeMinutes, .resendCooldownSeconds,
        .verificationLinkURL, .verificationDeliveryAttempts,
        .notificationExampleTypes, .deliveryAttempts, .deliveryConcurrency, .webhookPrivateNetworks,
        .smtpHost, .smtpPort, .smtpSecurity, .smtpUsername, .smtpPassword, .smtpCAFile, .smtpFrom,
    ]
}
