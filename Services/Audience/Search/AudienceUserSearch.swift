import Foundation
import Hummingbird
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// A user found by a search, with the value it was sorted by (for the cursor).
struct AudienceUserHit: Encodable, Sendable, KeysetPageable {
    var user: ProjectedUser
    var attributeSortValue: String?

    var id: EntityID { self.user.id }

    func encode(to encoder: any Encoder) throws { try self.user.encode(to: encoder) }

    func sortValue(for field: String) -> String? {
        switch field {
        case "id": self.user.id.description
        case "createdAt": RosterJSON.formatTimestamp(self.user.snapshot.createdAt)
        case "updatedAt": RosterJSON.formatTimestamp(self.user.snapshot.updatedAt)
        default: self.attributeSortValue
        }
    }
}

/// `GET /api/v1/audience/users`: the application's users filtered by profile fields, tags,
/// groups, segments and searchable attributes, sorted by creation, update or one searchable
/// attribute.
///
/// Every attribute condition is an `EXISTS` on the definition's partial index; sorting by an
/// attribute walks that index (users without a value are then not listed).
struct AudienceUserSearch: Sendable {
    let client: PostgresClient
    let definitions: AttributeDefinitionRepository

    /// Newest first by default: ids are UUIDv7, so their order is the order of creation, and
    /// an attribute's index holds them (after the value), which makes a filtered page cheap.
    static let baseSpec = ListQuerySpec(
        sortFields: [
            "id": .init(column: "p.user_id", type: .id),
            "createdAt": .init(column: "p.created_at", type: .timestamp),
            "updatedAt": .init(column: "p.updated_at", type: .timestamp),
        ],
        defaultSort: [SortKey("id", descending: true)],
        filters: [
            "status": .choice(["active", "inactive", "blocked"]),
            "type": .choices(["visitor", "lead", "user", "agent", "admin", "bot"]),
            "tags": .ids, "groups": .ids, "segments": .ids,
        ],
        idColumn: "p.user_id")

    /// Runs the search the request's query asks for; parameters in `ignoring` are not part of it.
    func search(_ request: Request, applicationID: EntityID, ignoring: Set<String> = [], logger: Logger) async throws
        -> (ListQuery, ListPage<AudienceUserHit>)
    {
        var parameters = ListQueryParser.parameters(of: request).filter { !ignoring.contains($0.0) }
        var attributeTexts: [(String, String)] = []
        // Attribute conditions come as their own parameters or inside `filter`; the rest is the list query.
        parameters = try parameters.compactMap { name, value in
            if name.hasPrefix("attributes.") {
                attributeTexts.append((String(name.dropFirst("attributes.".count)), value))
                return nil
            }
            guard name == "filter", let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(value.utf8)) else {
                return (name, value)
            }
            var rest: [String: JSONValue] = [:]
            for (key, raw) in object {
                guard key.hasPrefix("attributes.") else {
                    rest[key] = raw
                    continue
                }
                let texts = (raw.arrayValue ?? [raw]).map(Self.scalarText)
                guard !texts.isEmpty, texts.allSatisfy({ $0 != nil }) else {
                    throw AttributeCondition.invalid("filter.\(key)", "must be a string, number, boolean or a list of them")
                }
                let text = texts.compactMap { $0 }.joined(separator: ",")
                attributeTexts.append((String(key.dropFirst("attributes.".count)), text))
            }
            return ("filter", String(decoding: try JSONEncoder().encode(rest), as: UTF8.self))
        }
        guard attributeTexts.count <= 10 else { throw AttributeCondition.invalid("attributes", "may name at most 10 conditions") }
        let needsCatalog = !attributeTexts.isEmpty || parameters.contains { $0.0 == "sort" && $0.1.contains("attributes.") }
        let catalog = needsCatalog ? try await self.definitions.cachedAll(applicationID: applicationID, logger: logger) : [:]
        let conditions = AttributeFilter.grouping(try attributeTexts.map { try AttributeCondition(name: $0.0, text: $0.1, catalog: catalog) })

        // An attribute sort key joins that attribute's values as `s`.
        var spec = Self.baseSpec
        var sortDefinition: AttributeDefinition?
        if let sortText = parameters.last(where: { $0.0 == "sort" })?.1, let range = sortText.range(of: "attributes.") {
            let slug = String(sortText[range.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" })
            let definition = try AttributeCondition.searchable(slug, in: catalog, parameter: "sort")
            guard definition.type.isOrderable, let column = definition.type.column else {
                throw AttributeCondition.invalid("sort", "\(definition.type.rawValue) attributes cannot be sorted")
            }
            let type: ListQuerySpec.ValueType =
                switch definition.type {
                case .number: .number
                case .boolean: .boolean
                case .date, .datetime: .timestamp
                default: .string
                }
            spec.sortFields["attributes.\(slug)"] = .init(column: "s.\(column)", type: type)
            sortDefinition = definition
        }
        let query = try ListQueryParser.parse(parameters: parameters, spec: spec)

        var filters: [SQLFragment] = ["p.application_id = \(applicationID)"]
        if case .string(let status) = query.filter("status") { filters.append("p.status = \(status)") }
        if case .strings(let types) = query.filter("type") { filters.append("p.type = ANY(\(types))") }
        if case .ids(let tags) = query.filter("tags") {
            filters.append(
                "EXISTS (SELECT 1 FROM user_tags t WHERE t.application_id = p.application_id AND t.user_id = p.user_id AND t.tag_id = ANY(\(tags)))")
        }
        if case .ids(let segments) = query.filter("segments") {
            filters.append(
                """
                EXISTS (SELECT 1 FROM segment_members sm WHERE sm.application_id = p.application_id AND sm.user_id = p.user_id
                    AND sm.segment_id = ANY(\(segments)))
                """)
        }
        if case .ids(let groups) = query.filter("groups") {
            filters.append(
                """
                EXISTS (SELECT 1 FROM group_members g WHERE g.application_id = p.application_id AND g.user_id = p.user_id
                    AND g.group_id = ANY(\(groups)))
                """)
        }
        // Conditions on the sort attribute apply to its joined row `s`, so its index serves both.
        let onSort = conditions.filter { !$0.negated && $0.definition.id == sortDefinition?.id }
        let correlated = conditions.filter { $0.negated || $0.definition.id != sortDefinition?.id }
        let attributeFilters = correlated.map { Self.exists($0, of: "p") } + onSort.map { $0.predicate("s") }
        if sortDefinition == nil, filters.count == 1, let driver = conditions.firstIndex(where: { !$0.negated }),
            query.sort.allSatisfy({ $0.field == "id" })
        {
            // The page and the total are asked for at once, on two connections.
            async let hits = self.drivenPage(
                conditions[driver], others: conditions.enumerated().filter { $0.offset != driver }.map(\.element), query: query,
                applicationID: applicationID, logger: logger)
            let total = try await self.count(
                conditions: conditions, profileFilters: false, sortDefinition: nil, sortJoin: "",
                conditionSQL: SQLFragment.all(filters + conditions.map { Self.exists($0, of: "p") }), applicationID: applicationID,
                logger: logger)
            return (query, query.page(from: try await hits, total: total))
        }
        let sortJoin: SQLFragment =
            sortDefinition.map {
                """
                JOIN attribute_values s ON s.application_id = p.application_id AND s.user_id = p.user_id AND s.definition_id = \($0.id)
                """
            } ?? ""
        // The sort value as the cursor spells it (timestamps in RFC 3339).
        let sortColumn: SQLFragment =
            switch sortDefinition?.type {
            case nil: ", NULL::text"
            case .date?, .datetime?: ", to_char(s.value_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
            case let type?: ", (s.\(identifier: type.column ?? "value_text"))::text"
            }
        let conditionSQL = SQLFragment.all(filters + attributeFilters)
        let select: SQLFragment = """
            SELECT \(UserProjectionRepository.columns)\(sortColumn) FROM user_projection p \(sortJoin)
            WHERE \(conditionSQL) AND \(try query.keysetCondition(spec))
            \(query.orderClause(spec)) \(query.pageClause)
            """
        async let total = self.count(
            conditions: conditions, profileFilters: filters.count > 1, sortDefinition: sortDefinition, sortJoin: sortJoin, conditionSQL: conditionSQL,
            applicationID: applicationID, logger: logger)
        var hits: [AudienceUserHit] = []
        for try await row in try await self.client.query(select.query(), logger: logger) {
            let user = try UserProjectionRepository.user(from: row)
            let sortText = try row.makeRandomAccess()[row.count - 1].decode(String?.self)
            hits.append(AudienceUserHit(user: user, attributeSortValue: sortText))
        }
        return (query, query.page(from: hits, total: try await total))
    }

    /// `[NOT] EXISTS` a value of the filter's attribute, meeting it, for the user of row `alias`.
    static func exists(_ filter: AttributeFilter, of alias: String) -> SQLFragment {
        let exists: SQLFragment = """
            EXISTS (SELECT 1 FROM attribute_values v WHERE v.application_id = \(identifier: alias).application_id
                AND v.user_id = \(identifier: alias).user_id AND v.definition_id = \(filter.definition.id) AND \(filter.predicate("v")))
            """
        return filter.negated ? "NOT " + exists : exists
    }

    /// The page of a search that filters on attributes only, in id order: the ids come from the
    /// first condition's index (with the others checked per id) and are cut to the page before
    /// any user row is read, so a page costs one short index walk and `limit` row reads however
    /// many users match.
    private func drivenPage(
        _ driver: AttributeFilter, others: [AttributeFilter], query: ListQuery, applicationID: EntityID, logger: Logger
    ) async throws -> [AudienceUserHit] {
        let spec = ListQuerySpec(sortFields: ["id": .init(column: "d.user_id", type: .id)], defaultSort: [], idColumn: "d.user_id")
        let inner = SQLFragment.all(
            ["d.application_id = \(applicationID)", "d.definition_id = \(driver.definition.id)", driver.predicate("d")]
                + others.map { Self.exists($0, of: "d") } + [try query.keysetCondition(spec)])
        let select: SQLFragment = """
            SELECT \(UserProjectionRepository.columns), NULL::text FROM (
                SELECT d.user_id FROM attribute_values d WHERE \(inner) \(query.orderClause(spec)) \(query.pageClause)
            ) page
            JOIN user_projection p ON p.application_id = \(applicationID) AND p.user_id = page.user_id
            \(query.orderClause(Self.baseSpec))
            """
        var hits: [AudienceUserHit] = []
        for try await row in try await self.client.query(select.query(), logger: logger) {
            hits.append(AudienceUserHit(user: try UserProjectionRepository.user(from: row), attributeSortValue: nil))
        }
        return hits
    }

    /// A scalar filter value as query text.
    private static func scalarText(_ raw: JSONValue) -> String? {
        switch raw {
        case .string(let string): string
        case .integer(let number): String(number)
        case .number(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        default: nil
        }
    }

    /// The number of matches. When one attribute decides alone (its filter, or the attribute
    /// sorted by, without profile filters), it is counted on that attribute's index: values
    /// exist only for users the projection has.
    private func count(
        conditions: [AttributeFilter], profileFilters: Bool, sortDefinition: AttributeDefinition?, sortJoin: SQLFragment,
        conditionSQL: SQLFragment, applicationID: EntityID, logger: Logger
    ) async throws -> Int {
        let decisive: (AttributeDefinition, SQLFragment)? =
            switch (conditions.count, conditions.first, sortDefinition) {
            case (1, let only?, nil) where !only.negated: (only.definition, only.predicate("v"))
            case (1, let only?, let sorted?) where !only.negated && only.definition.id == sorted.id: (only.definition, only.predicate("v"))
            case (0, nil, let sorted?): (sorted, "TRUE")
            default: nil
            }
        let count: SQLFragment
        if let (definition, predicate) = decisive, !profileFilters {
            count = """
                SELECT count(*) FROM attribute_values v
                WHERE v.application_id = \(applicationID) AND v.definition_id = \(definition.id) AND \(predicate)
                """
        } else {
            count = "SELECT count(*) FROM user_projection p \(sortJoin) WHERE \(conditionSQL)"
        }
        return try await self.client.query(count.query(), logger: logger).decode(Int.self).first(where: { _ in true }) ?? 0
    }
}
