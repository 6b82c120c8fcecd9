extension AsyncSequence {
    /// Every element, in order (for bounded results such as one page of decoded rows).
    public func array() async throws -> [Element] {
        var elements: [Element] = []
        for try await element in self { elements.append(element) }
        return elements
    }
}
